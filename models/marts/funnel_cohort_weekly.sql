-- Keyed on the lead's creation date: of the leads created that week, how many have reached
-- each milestone by the as-of date.
with

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

lead_milestones as (

    select * from {{ ref('int_lead_milestones_reached') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

cohorts as (

    select
        created_week,
        consultant,
        count(*) as leads_created
    from leads
    group by created_week, consultant

),

reached_per_cohort as (

    select
        {{ week_start('lead_milestones.created_date') }} as created_week,
        lead_milestones.consultant,
        lead_milestones.milestone,
        count(*) as leads_reached
    from lead_milestones
    group by
        {{ week_start('lead_milestones.created_date') }},
        lead_milestones.consultant,
        lead_milestones.milestone

),

cohort_milestone_grid as (

    -- Every milestone for every cohort, so a funnel shows its zeros.
    select
        cohorts.created_week,
        cohorts.consultant,
        cohorts.leads_created,
        milestone_catalogue.milestone,
        milestone_catalogue.milestone_order,
        milestone_catalogue.label as milestone_label
    from cohorts
    cross join milestone_catalogue

),

counts_joined as (

    select
        cohort_milestone_grid.created_week,
        cohort_milestone_grid.consultant,
        cohort_milestone_grid.milestone,
        cohort_milestone_grid.milestone_order,
        cohort_milestone_grid.milestone_label,
        cohort_milestone_grid.leads_created,
        coalesce(reached_per_cohort.leads_reached, 0) as leads_reached,
        cast(
            1.0 * coalesce(reached_per_cohort.leads_reached, 0)
            / cohort_milestone_grid.leads_created
            as {{ dbt.type_numeric() }}
        ) as share_reached
    from cohort_milestone_grid
    left join reached_per_cohort
        on
            cohort_milestone_grid.created_week = reached_per_cohort.created_week
            and cohort_milestone_grid.consultant = reached_per_cohort.consultant
            and cohort_milestone_grid.milestone = reached_per_cohort.milestone

)

select * from counts_joined
