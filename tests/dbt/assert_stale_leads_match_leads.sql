-- stale_leads holds exactly the leads flagged is_stale in leads. Returns the differences.
with

leads as (

    select * from {{ ref('leads') }}

),

stale_leads as (

    select * from {{ ref('stale_leads') }}

),

flagged as (

    select lead_id from leads
    where is_stale

),

missing_from_stale_leads as (

    select
        flagged.lead_id,
        'flagged stale but missing from stale_leads' as problem
    from flagged
    left join stale_leads
        on flagged.lead_id = stale_leads.lead_id
    where stale_leads.lead_id is null

),

not_flagged as (

    select
        stale_leads.lead_id,
        'in stale_leads but not flagged stale' as problem
    from stale_leads
    left join flagged
        on stale_leads.lead_id = flagged.lead_id
    where flagged.lead_id is null

),

problems as (

    select * from missing_from_stale_leads
    union all
    select * from not_flagged

)

select * from problems
