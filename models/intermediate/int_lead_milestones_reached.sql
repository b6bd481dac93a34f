{{ config(materialized='table') }}

-- One row per lead and milestone reached by the as-of date. A later milestone implies the
-- earlier ones; a milestone that needs confirmation counts only once confirmed.
with

leads as (

    select * from {{ ref('stg_leads') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

milestone_events as (

    select * from {{ ref('int_milestone_events_rolled_up') }}

),

calls_per_lead as (

    select * from {{ ref('int_calls_aggregated_per_lead') }}

),

consultant_names as (

    select * from {{ ref('int_consultant_names') }}

),

leads_created_by_as_of as (

    select
        leads.lead_id,
        coalesce(consultant_names.consultant, leads.consultant) as consultant,
        leads.created_date,
        leads.status,
        leads.first_loaded_date
    from leads
    left join consultant_names
        on leads.consultant_key = consultant_names.consultant_key
    where leads.created_date <= {{ as_of_date() }}

),

filled_milestone as (

    select min(milestone_order) as filled_order
    from milestone_catalogue
    where is_filled

),

self_evident_milestones_per_lead as (

    -- Milestones that need no confirmation (or were ticked): reaching one confirms every
    -- earlier milestone that needs confirmation.
    select
        lead_id,
        max(milestone_order) as max_self_evident_order
    from milestone_events
    where
        has_undated_tick
        or (
            reached_event_date is not null
            and (not needs_confirmation or first_ticked_date >= reached_event_date)
        )
    group by lead_id

),

events_confirmed as (

    select
        milestone_events.lead_id,
        milestone_events.milestone,
        milestone_events.milestone_order,
        milestone_events.reached_event_date,
        milestone_events.has_undated_tick,
        milestone_events.tick_loaded_date,
        leads_created_by_as_of.first_loaded_date as lead_first_loaded_date,
        milestone_events.first_candidate,
        case
            when milestone_events.has_undated_tick then true
            when milestone_events.reached_event_date is null then false
            when not milestone_events.needs_confirmation then true
            -- Ticked by the consultant on or after its day (not ahead of it): confirmed.
            when
                milestone_events.first_ticked_date >= milestone_events.reached_event_date
                then true
            -- Marked filled: confirmed up to the milestone that fills a lead (a catalogue
            -- filling it at the written offer still wants its start confirmed).
            when leads_created_by_as_of.status = 'completed' then true
            when
                leads_created_by_as_of.status = 'filled'
                and milestone_events.milestone_order <= filled_milestone.filled_order
                then true
            when
                calls_per_lead.last_connected_call_date
                >= milestone_events.reached_event_date
                then true
            when
                self_evident_milestones_per_lead.max_self_evident_order
                > milestone_events.milestone_order
                then true
            else false
        end as is_reached
    from milestone_events
    cross join filled_milestone
    inner join leads_created_by_as_of
        on milestone_events.lead_id = leads_created_by_as_of.lead_id
    left join calls_per_lead
        on milestone_events.lead_id = calls_per_lead.lead_id
    left join self_evident_milestones_per_lead
        on milestone_events.lead_id = self_evident_milestones_per_lead.lead_id

),

reached_events as (

    select
        lead_id,
        milestone_order,
        first_candidate,
        reached_event_date as own_recorded_date,
        -- An undated tick that first appeared in a later export than the lead: reached by
        -- the day that export was loaded (capped at the as-of date).
        case
            when has_undated_tick and tick_loaded_date > lead_first_loaded_date
                then least(tick_loaded_date, {{ as_of_date() }})
        end as own_load_date,
        -- One the lead's first export already had (a backfilled tracker): reached on a day
        -- nobody knows, at the earliest when the milestones before it were, not the day the
        -- tracker was first loaded.
        has_undated_tick and coalesce(tick_loaded_date <= lead_first_loaded_date, true)
            as is_ticked_from_first_export
    from events_confirmed
    where is_reached

),

furthest_per_lead as (

    select
        lead_id,
        max(milestone_order) as furthest_order
    from reached_events
    group by lead_id

),

milestones_up_to_furthest as (

    -- Every catalogue milestone up to the furthest one reached: the ones in between are
    -- implied even where the tracker skipped their columns.
    select
        leads_created_by_as_of.lead_id,
        leads_created_by_as_of.consultant,
        leads_created_by_as_of.created_date,
        milestone_catalogue.milestone,
        milestone_catalogue.milestone_order,
        reached_events.first_candidate,
        reached_events.own_recorded_date,
        reached_events.own_load_date,
        coalesce(reached_events.is_ticked_from_first_export, false)
            as is_ticked_from_first_export,
        reached_events.lead_id is not null as has_own_event
    from furthest_per_lead
    inner join leads_created_by_as_of
        on furthest_per_lead.lead_id = leads_created_by_as_of.lead_id
    inner join milestone_catalogue
        on furthest_per_lead.furthest_order >= milestone_catalogue.milestone_order
    left join reached_events
        on
            furthest_per_lead.lead_id = reached_events.lead_id
            and milestone_catalogue.milestone_order = reached_events.milestone_order

),

later_dates_found as (

    select
        *,
        min(own_recorded_date) over (
            partition by lead_id
            order by milestone_order desc
            rows between unbounded preceding and 1 preceding
        ) as later_recorded_date,
        min(own_load_date) over (
            partition by lead_id
            order by milestone_order desc
            rows between unbounded preceding and 1 preceding
        ) as later_load_date,
        max(own_recorded_date) over (
            partition by lead_id
            order by milestone_order desc
            rows between 1 following and unbounded following
        ) as earlier_recorded_date
    from milestones_up_to_furthest

),

earliest_dates_found as (

    -- A tick from the lead's first export, at the earliest: the latest recorded milestone
    -- before it, else the lead's creation. Earlier milestones were reached by then too.
    select
        *,
        case
            when is_ticked_from_first_export
                then greatest(created_date, earlier_recorded_date)
        end as own_earliest_date,
        min(
            case
                when is_ticked_from_first_export
                    then greatest(created_date, earlier_recorded_date)
            end
        ) over (
            partition by lead_id
            order by milestone_order desc
            rows between unbounded preceding and 1 preceding
        ) as later_earliest_date
    from later_dates_found

),

undated_resolved as (

    select
        *,
        least(own_load_date, later_load_date) as by_load_date,
        least(own_earliest_date, later_earliest_date) as by_earliest_date
    from earliest_dates_found

),

reached_dates_resolved as (

    select
        lead_id,
        consultant,
        created_date,
        milestone,
        milestone_order,
        first_candidate,
        coalesce(
            own_recorded_date, later_recorded_date, least(by_load_date, by_earliest_date)
        ) as reached_date,
        case
            when own_recorded_date is not null then 'recorded'
            when later_recorded_date is not null then 'later_milestone'
            when by_earliest_date <= coalesce(by_load_date, by_earliest_date)
                then 'earliest_possible'
            else 'load_date'
        end as reached_date_source,
        not has_own_event as is_implied
    from undated_resolved

),

previous_milestone_found as (

    select
        *,
        lag(milestone) over (
            partition by lead_id order by milestone_order
        ) as previous_milestone,
        lag(reached_date) over (
            partition by lead_id order by milestone_order
        ) as lagged_reached_date,
        lag(reached_date_source) over (
            partition by lead_id order by milestone_order
        ) as previous_reached_date_source
    from reached_dates_resolved

),

durations_computed as (

    select
        lead_id,
        consultant,
        created_date,
        milestone,
        milestone_order,
        reached_date,
        reached_date_source,
        is_implied,
        first_candidate,
        previous_milestone,
        coalesce(lagged_reached_date, created_date) as previous_reached_date,
        {{ days_between('coalesce(lagged_reached_date, created_date)', 'reached_date') }}
            as days_since_previous,
        -- A date before the previous one (out of order: data_quality_issues flags it) is
        -- a typing slip, not a stage that took negative days.
        reached_date_source = 'recorded'
        and coalesce(previous_reached_date_source, 'recorded') = 'recorded'
        and reached_date >= coalesce(lagged_reached_date, created_date)
            as is_duration_measured
    from previous_milestone_found

)

select * from durations_computed
