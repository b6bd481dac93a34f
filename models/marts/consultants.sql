-- One row per consultant that leads or calls name, however they spell the name, with the
-- consultants list's team and manager: the dashboard's team filter and league table start
-- here, so a consultant who makes calls but owns no lead is in them too.
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
