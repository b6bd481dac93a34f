-- Marts at the lead grain keep one row per lead: leads has exactly the staged leads created
-- by the as-of date, and the cohort marts add up to the same number. Returns a row per
-- mismatch.
with

staged_leads as (

    select * from {{ ref('stg_leads') }}

),

leads as (

    select * from {{ ref('leads') }}

),

cohorts_monthly as (

    select * from {{ ref('cohorts_monthly') }}

),

funnel as (

    select * from {{ ref('funnel_cohort_weekly') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

expected as (

    select count(*) as leads
    from staged_leads
    where created_date <= {{ as_of_date() }}

),

counts as (

    select
        'leads' as mart,
        count(*) as leads,
        count(distinct lead_id) as distinct_leads
    from leads
    union all
    select
        'cohorts_monthly' as mart,
        sum(leads_created) as leads,
        sum(leads_created) as distinct_leads
    from cohorts_monthly
    union all
    select
        'funnel_cohort_weekly' as mart,
        sum(funnel.leads_created) as leads,
        sum(funnel.leads_created) as distinct_leads
    from funnel
    inner join milestone_catalogue
        on funnel.milestone = milestone_catalogue.milestone
    where milestone_catalogue.milestone_order = 1

),

mismatches as (

    select
        counts.mart,
        counts.leads,
        counts.distinct_leads,
        expected.leads as expected_leads
    from counts
    cross join expected
    where
        counts.leads != expected.leads
        or counts.distinct_leads != expected.leads

)

select * from mismatches
