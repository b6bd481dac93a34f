-- One row per week and consultant with any activity (plus the as-of week for every
-- consultant with leads). Leads are counted in their creation week, calls in the week made,
-- milestones in the week reached. Open and quiet leads are a snapshot at the as-of date and
-- sit on the as-of week's row only: lost and declined carry no date, so earlier weeks cannot
-- be reconstructed (replay an earlier as-of date instead). The *_same_days columns count
-- only the weekdays up to the as-of date's, to compare a week under way like for like.
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

calls as (

    -- The calls, by the consultant's name as it is spelled everywhere.
    select * from {{ ref('calls') }}

),

leads_created_weekly as (

    select
        created_week as week,
        consultant,
        count(*) as leads_created,
        0 as calls_made,
        0 as calls_connected,
        0 as milestones_reached,
        0 as starts,
        count(case when {{ on_weekdays_so_far('created_date') }} then 1 end)
            as leads_created_same_days,
        0 as calls_made_same_days,
        0 as calls_connected_same_days,
        0 as milestones_reached_same_days,
        0 as starts_same_days,
        0 as open_leads,
        0 as quiet_leads
    from leads
    group by created_week, consultant

),

calls_weekly as (

    select
        {{ week_start('called_date') }} as week,
        consultant,
        0 as leads_created,
        count(*) as calls_made,
        count(case when is_connected then 1 end) as calls_connected,
        0 as milestones_reached,
        0 as starts,
        0 as leads_created_same_days,
        count(case when {{ on_weekdays_so_far('called_date') }} then 1 end)
            as calls_made_same_days,
        count(
            case when is_connected and {{ on_weekdays_so_far('called_date') }} then 1 end
        ) as calls_connected_same_days,
        0 as milestones_reached_same_days,
        0 as starts_same_days,
        0 as open_leads,
        0 as quiet_leads
    from calls
    where called_date <= {{ as_of_date() }}
    group by {{ week_start('called_date') }}, consultant

),

milestones_weekly as (

    select
        {{ week_start('lead_milestones.reached_date') }} as week,
        lead_milestones.consultant,
        0 as leads_created,
        0 as calls_made,
        0 as calls_connected,
        count(*) as milestones_reached,
        count(case when milestone_catalogue.is_filled then 1 end) as starts,
        0 as leads_created_same_days,
        0 as calls_made_same_days,
        0 as calls_connected_same_days,
        count(
            case when {{ on_weekdays_so_far('lead_milestones.reached_date') }} then 1 end
        ) as milestones_reached_same_days,
        count(
            case
                when milestone_catalogue.is_filled
                    and {{ on_weekdays_so_far('lead_milestones.reached_date') }}
                    then 1
            end
        ) as starts_same_days,
        0 as open_leads,
        0 as quiet_leads
    from lead_milestones
    inner join milestone_catalogue
        on lead_milestones.milestone = milestone_catalogue.milestone
    group by {{ week_start('lead_milestones.reached_date') }}, lead_milestones.consultant

),

pipeline_snapshot as (

    select
        {{ week_start(as_of_date()) }} as week,
        consultant,
        0 as leads_created,
        0 as calls_made,
        0 as calls_connected,
        0 as milestones_reached,
        0 as starts,
        0 as leads_created_same_days,
        0 as calls_made_same_days,
        0 as calls_connected_same_days,
        0 as milestones_reached_same_days,
        0 as starts_same_days,
        count(case when status = 'open' then 1 end) as open_leads,
        count(case when is_stale then 1 end) as quiet_leads
    from leads
    group by consultant

),

activity_unioned as (

    select * from leads_created_weekly
    union all
    select * from calls_weekly
    union all
    select * from milestones_weekly
    union all
    select * from pipeline_snapshot

),

summed_per_week as (

    select
        week,
        consultant,
        {{ sum_of_counts('leads_created') }} as leads_created,
        {{ sum_of_counts('calls_made') }} as calls_made,
        {{ sum_of_counts('calls_connected') }} as calls_connected,
        {{ sum_of_counts('milestones_reached') }} as milestones_reached,
        {{ sum_of_counts('starts') }} as starts,
        {{ sum_of_counts('leads_created_same_days') }} as leads_created_same_days,
        {{ sum_of_counts('calls_made_same_days') }} as calls_made_same_days,
        {{ sum_of_counts('calls_connected_same_days') }} as calls_connected_same_days,
        {{ sum_of_counts('milestones_reached_same_days') }} as milestones_reached_same_days,
        {{ sum_of_counts('starts_same_days') }} as starts_same_days,
        case
            when week = {{ week_start(as_of_date()) }} then {{ sum_of_counts('open_leads') }}
        end as open_leads,
        case
            when week = {{ week_start(as_of_date()) }} then {{ sum_of_counts('quiet_leads') }}
        end as quiet_leads,
        week = {{ week_start(as_of_date()) }} as is_as_of_week
    from activity_unioned
    group by week, consultant

)

select * from summed_per_week
