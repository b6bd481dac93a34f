-- Days from the previous milestone (the lead's creation for the first one), between dates
-- that were both recorded: implied milestones and undated ticks would read as 0 days.
-- One row per milestone and consultant, plus one per milestone for 'All consultants'.
with

lead_milestones as (

    select * from {{ ref('int_lead_milestones_reached') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

measured_durations as (

    select * from lead_milestones
    where is_duration_measured

),

per_consultant as (

    select
        milestone,
        consultant,
        count(*) as leads,
        avg(days_since_previous) as mean_days,
        {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
        {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
    from measured_durations
    group by milestone, consultant

),

all_consultants as (

    select
        milestone,
        'All consultants' as consultant,
        count(*) as leads,
        avg(days_since_previous) as mean_days,
        {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
        {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
    from measured_durations
    group by milestone

),

durations_unioned as (

    select * from per_consultant
    union all
    select * from all_consultants

),

catalogue_joined as (

    select
        durations_unioned.milestone,
        milestone_catalogue.milestone_order,
        milestone_catalogue.label as milestone_label,
        durations_unioned.consultant,
        durations_unioned.consultant = 'All consultants' as is_all_consultants,
        durations_unioned.leads,
        round(cast(durations_unioned.mean_days as {{ dbt.type_numeric() }}), 1) as mean_days,
        round(cast(durations_unioned.median_days as {{ dbt.type_numeric() }}), 1) as median_days,
        round(cast(durations_unioned.p80_days as {{ dbt.type_numeric() }}), 1) as p80_days
    from durations_unioned
    inner join milestone_catalogue
        on durations_unioned.milestone = milestone_catalogue.milestone

)

select * from catalogue_joined
