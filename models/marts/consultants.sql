-- One row per consultant on the consultants list or named by leads or calls, however they
-- spell the name, with the list's team and manager: the dashboard's team filter and league
-- table start here, so a consultant who makes calls but owns no lead is in them too, and so
-- is a new hire with neither.
with

consultant_names as (

    select * from {{ ref('int_consultant_names') }}

),

consultants_listed as (

    select
        consultant,
        team,
        manager,
        is_listed
    from consultant_names

)

select * from consultants_listed
