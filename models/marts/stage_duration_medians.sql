-- Days from the previous milestone (measured durations only, as in stage_durations), summed
-- up once per build for the Consultants page at four grains: per consultant over every
-- stage, per team over every stage, per team and milestone, and per team, consultant and
-- milestone. The team is the lead's; the consultant is the milestone's (the lead's owner).
with

lead_milestones as (

    select * from {{ ref('lead_milestones') }}

),

leads as (

    select * from {{ ref('leads') }}

),

measured_durations as (

    select
        leads.team,
        lead_milestones.consultant,
        lead_milestones.milestone,
        lead_milestones.days_since_previous
    from lead_milestones
    inner join leads
        on lead_milestones.lead_id = leads.lead_id
    where lead_milestones.is_duration_measured

),

per_consultant as (

    select
        'consultant' as grain,
        cast(null as {{ dbt.type_string() }}) as team,
        consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        count(*) as leads,
        {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
        {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
    from measured_durations
    group by consultant

),

per_team as (

    select
        'team' as grain,
        team,
        cast(null as {{ dbt.type_string() }}) as consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        count(*) as leads,
        {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
        {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
    from measured_durations
    group by team

),

per_team_milestone as (

    select
        'team_milestone' as grain,
        team,
        cast(null as {{ dbt.type_string() }}) as consultant,
        milestone,
        count(*) as leads,
        {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
        {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
    from measured_durations
    group by team, milestone

),

per_team_consultant_milestone as (

    select
        'team_consultant_milestone' as grain,
        team,
        consultant,
        milestone,
        count(*) as leads,
        {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
        {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
    from measured_durations
    group by team, consultant, milestone

),

grains_unioned as (

    select * from per_consultant
    union all
    select * from per_team
    union all
    select * from per_team_milestone
    union all
    select * from per_team_consultant_milestone

)

select * from grains_unioned
