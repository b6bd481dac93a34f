-- Reached counts never rise along the catalogue order: a lead that reached a milestone has
-- reached every earlier one. Checked on funnel_cohort_weekly (summed over cohorts and per
-- cohort) and on lead_milestones. Returns the offending rows.
with

funnel as (

    select * from {{ ref('funnel_cohort_weekly') }}

),

lead_milestones as (

    select * from {{ ref('lead_milestones') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

funnel_summed as (

    select
        'funnel_cohort_weekly, all cohorts' as checked_in,
        milestone_order,
        sum(leads_reached) as leads_reached
    from funnel
    group by milestone_order

),

lead_milestones_counted as (

    select
        'lead_milestones' as checked_in,
        milestone_catalogue.milestone_order,
        count(lead_milestones.lead_id) as leads_reached
    from milestone_catalogue
    left join lead_milestones
        on milestone_catalogue.milestone = lead_milestones.milestone
    group by milestone_catalogue.milestone_order

),

totals_unioned as (

    select * from funnel_summed
    union all
    select * from lead_milestones_counted

),

totals_compared as (

    select
        checked_in,
        milestone_order,
        leads_reached,
        lag(leads_reached) over (
            partition by checked_in order by milestone_order
        ) as previous_leads_reached
    from totals_unioned

),

cohorts_compared as (

    select
        'funnel_cohort_weekly, '
        || consultant
        || ' '
        || cast(created_week as {{ dbt.type_string() }}) as checked_in,
        milestone_order,
        leads_reached,
        lag(leads_reached) over (
            partition by created_week, consultant order by milestone_order
        ) as previous_leads_reached
    from funnel

),

rises as (

    select * from totals_compared
    where leads_reached > previous_leads_reached
    union all
    select * from cohorts_compared
    where leads_reached > previous_leads_reached

)

select * from rises
