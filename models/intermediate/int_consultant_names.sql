{{ config(materialized='table') }}

-- One row per consultant however the exports spell the name (case and spacing do not
-- count): named as the consultants list names them, else as most rows of leads and calls do.
-- Everyone on the consultants list is here, a new hire with no lead and no call yet too.
with

consultants as (

    select * from {{ ref('stg_consultants') }}

),

leads as (

    select * from {{ ref('stg_leads') }}

),

calls as (

    select * from {{ ref('stg_calls') }}

),

spellings_used as (

    select
        consultant_key,
        consultant,
        count(*) as rows_spelled
    from leads
    group by consultant_key, consultant
    union all
    select
        consultant_key,
        consultant,
        count(*) as rows_spelled
    from calls
    group by consultant_key, consultant
    union all
    select
        consultant_key,
        consultant,
        0 as rows_spelled
    from consultants

),

spellings_ranked as (

    select
        consultant_key,
        consultant,
        row_number() over (
            partition by consultant_key
            order by sum(rows_spelled) desc, consultant
        ) as spelling_rank
    from spellings_used
    group by consultant_key, consultant

),

names_chosen as (

    select
        spellings_ranked.consultant_key,
        coalesce(consultants.consultant, spellings_ranked.consultant) as consultant,
        consultants.team,
        consultants.manager,
        consultants.consultant_key is not null as is_listed
    from spellings_ranked
    left join consultants
        on spellings_ranked.consultant_key = consultants.consultant_key
    where spellings_ranked.spelling_rank = 1

)

select * from names_chosen
