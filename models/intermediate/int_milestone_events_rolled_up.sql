{{ config(materialized='table') }}

-- One row per lead and catalogue milestone that has any event: candidate-level events rolled
-- up to the lead (its first candidate), dates split into reached (on or before the as-of
-- date) and scheduled (after it).
with

milestone_events as (

    select * from {{ ref('stg_milestone_events') }}
    where not is_withdrawn

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

events_classified as (

    select
        milestone_events.lead_id,
        milestone_events.milestone,
        milestone_events.candidate,
        milestone_events.first_loaded_date,
        milestone_events.is_date_unknown,
        milestone_events.first_ticked_date,
        case
            when milestone_events.event_date <= {{ as_of_date() }}
                then milestone_events.event_date
        end as reached_event_date,
        case
            when milestone_events.event_date > {{ as_of_date() }}
                then milestone_events.event_date
        end as scheduled_event_date,
        coalesce(milestone_events.event_date, {{ as_of_date() }}) as first_sort_date
    from milestone_events

),

rolled_up_to_lead as (

    select
        lead_id,
        milestone,
        min(reached_event_date) as reached_event_date,
        min(scheduled_event_date) as scheduled_event_date,
        max(case when is_date_unknown then 1 else 0 end) = 1 as has_undated_tick,
        min(first_ticked_date) as first_ticked_date,
        min(case when is_date_unknown then first_loaded_date end) as tick_loaded_date,
        count(distinct candidate) as candidates,
        count(*) as events,
        -- The candidate who got there first (the alphabetically first on a tie; none when
        -- the first events name nobody). Candidates order by their date, a tick counting as
        -- the as-of date (reached on an unknown day by then): reached dates first, then
        -- ticks, then scheduled dates.
        {{ first_in_order('candidate', 'first_sort_date, candidate nulls last') }}
            as first_candidate
    from events_classified
    group by lead_id, milestone

),

catalogue_joined as (

    select
        rolled_up_to_lead.lead_id,
        rolled_up_to_lead.milestone,
        milestone_catalogue.milestone_order,
        milestone_catalogue.needs_confirmation,
        rolled_up_to_lead.reached_event_date,
        rolled_up_to_lead.scheduled_event_date,
        rolled_up_to_lead.has_undated_tick,
        rolled_up_to_lead.first_ticked_date,
        rolled_up_to_lead.tick_loaded_date,
        rolled_up_to_lead.first_candidate,
        rolled_up_to_lead.candidates,
        rolled_up_to_lead.events
    from rolled_up_to_lead
    inner join milestone_catalogue
        on rolled_up_to_lead.milestone = milestone_catalogue.milestone

)

select * from catalogue_joined
