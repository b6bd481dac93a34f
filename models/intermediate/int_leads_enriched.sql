{{ config(materialized='table') }}

-- One row per lead created by the as-of date: its owner, furthest milestone, status, money,
-- last touch and whether it has gone quiet.
with

leads as (

    select * from {{ ref('stg_leads') }}

),

consultant_names as (

    select * from {{ ref('int_consultant_names') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

lead_milestones as (

    select * from {{ ref('int_lead_milestones_reached') }}

),

milestone_events as (

    select * from {{ ref('int_milestone_events_rolled_up') }}

),

calls_per_lead as (

    select * from {{ ref('int_calls_aggregated_per_lead') }}

),

leads_created_by_as_of as (

    select * from leads
    where created_date <= {{ as_of_date() }}

),

catalogue_bounds as (

    select
        min(case when is_filled then milestone_order end) as filled_order,
        max(milestone_order) as final_order
    from milestone_catalogue

),

milestones_per_lead as (

    select
        lead_id,
        max(milestone_order) as furthest_order,
        max(reached_date) as last_milestone_date,
        count(*) as milestones_reached
    from lead_milestones
    group by lead_id

),

furthest_milestones as (

    select
        milestones_per_lead.lead_id,
        milestones_per_lead.furthest_order,
        milestones_per_lead.last_milestone_date,
        milestones_per_lead.milestones_reached,
        lead_milestones.milestone as furthest_milestone,
        lead_milestones.reached_date as furthest_milestone_date,
        milestone_catalogue.label as furthest_milestone_label,
        milestone_catalogue.quiet_after_days as furthest_quiet_after_days
    from milestones_per_lead
    inner join lead_milestones
        on
            milestones_per_lead.lead_id = lead_milestones.lead_id
            and milestones_per_lead.furthest_order = lead_milestones.milestone_order
    inner join milestone_catalogue
        on lead_milestones.milestone = milestone_catalogue.milestone

),

events_beyond_furthest as (

    select
        milestone_events.lead_id,
        milestone_events.milestone,
        milestone_events.milestone_order,
        milestone_events.needs_confirmation,
        milestone_events.has_undated_tick,
        milestone_events.reached_event_date,
        milestone_events.scheduled_event_date,
        milestone_catalogue.label
    from milestone_events
    inner join milestone_catalogue
        on milestone_events.milestone = milestone_catalogue.milestone
    left join milestones_per_lead
        on milestone_events.lead_id = milestones_per_lead.lead_id
    where milestone_events.milestone_order > coalesce(milestones_per_lead.furthest_order, 0)

),

unconfirmed_milestones_ranked as (

    -- A date on or before the as-of date for a milestone that needs confirmation, and no
    -- confirmation yet (else it would have been reached): "start unconfirmed".
    select
        lead_id,
        milestone,
        label,
        reached_event_date as unconfirmed_date,
        row_number() over (
            partition by lead_id order by milestone_order
        ) as unconfirmed_rank
    from events_beyond_furthest
    where
        needs_confirmation
        and reached_event_date is not null
        and not has_undated_tick

),

scheduled_milestones_ranked as (

    select
        lead_id,
        milestone,
        label,
        scheduled_event_date as scheduled_date,
        row_number() over (
            partition by lead_id order by scheduled_event_date, milestone_order
        ) as scheduled_rank
    from events_beyond_furthest
    where scheduled_event_date is not null

),

status_milestones_ahead as (

    -- Whether the milestone that fills a lead, and the last one, are still ahead: dated
    -- after the as-of date only. An export that says filled or completed then speaks of a
    -- later day (a build replaying an earlier one), or of a start only promised so far.
    select
        events_beyond_furthest.lead_id,
        max(
            case
                when events_beyond_furthest.milestone_order = catalogue_bounds.filled_order
                    then 1
                else 0
            end
        ) = 1 as is_filled_milestone_ahead,
        max(
            case
                when events_beyond_furthest.milestone_order = catalogue_bounds.final_order
                    then 1
                else 0
            end
        ) = 1 as is_final_milestone_ahead
    from events_beyond_furthest
    cross join catalogue_bounds
    where
        events_beyond_furthest.scheduled_event_date is not null
        and events_beyond_furthest.reached_event_date is null
        and not events_beyond_furthest.has_undated_tick
    group by events_beyond_furthest.lead_id

),

lead_facts_joined as (

    select
        leads_created_by_as_of.lead_id,
        coalesce(consultant_names.consultant, leads_created_by_as_of.consultant) as consultant,
        consultant_names.team,
        consultant_names.manager,
        leads_created_by_as_of.client,
        leads_created_by_as_of.contact,
        leads_created_by_as_of.phone,
        leads_created_by_as_of.email,
        leads_created_by_as_of.job_title,
        leads_created_by_as_of.created_date,
        leads_created_by_as_of.salary,
        leads_created_by_as_of.fee_pct,
        leads_created_by_as_of.fee,
        leads_created_by_as_of.status as recorded_status,
        leads_created_by_as_of.lost_reason,
        leads_created_by_as_of.recorded_closed_date,
        leads_created_by_as_of.closed_loaded_date,
        leads_created_by_as_of.first_loaded_date,
        leads_created_by_as_of.notes,
        furthest_milestones.furthest_order,
        furthest_milestones.furthest_milestone,
        furthest_milestones.furthest_milestone_label,
        furthest_milestones.furthest_milestone_date,
        furthest_milestones.furthest_quiet_after_days,
        furthest_milestones.last_milestone_date,
        coalesce(furthest_milestones.milestones_reached, 0) as milestones_reached,
        furthest_milestones.furthest_order >= catalogue_bounds.filled_order
            as has_reached_filled_milestone,
        -- Completed is a milestone after the filled one (probation after the start): in a
        -- catalogue whose filled milestone is its last (engaged, won) a lead ends filled.
        furthest_milestones.furthest_order = catalogue_bounds.final_order
        and catalogue_bounds.final_order > catalogue_bounds.filled_order
            as has_reached_final_milestone,
        coalesce(calls_per_lead.calls_made, 0) as calls_made,
        coalesce(calls_per_lead.calls_connected, 0) as calls_connected,
        calls_per_lead.last_call_date,
        calls_per_lead.last_connected_call_date,
        calls_per_lead.next_callback_date,
        unconfirmed_milestones_ranked.milestone as unconfirmed_milestone,
        unconfirmed_milestones_ranked.label as unconfirmed_milestone_label,
        unconfirmed_milestones_ranked.unconfirmed_date,
        scheduled_milestones_ranked.milestone as next_scheduled_milestone,
        scheduled_milestones_ranked.label as next_scheduled_milestone_label,
        scheduled_milestones_ranked.scheduled_date as next_scheduled_date,
        coalesce(status_milestones_ahead.is_filled_milestone_ahead, false)
            as is_filled_milestone_ahead,
        coalesce(status_milestones_ahead.is_final_milestone_ahead, false)
            as is_final_milestone_ahead
    from leads_created_by_as_of
    cross join catalogue_bounds
    left join consultant_names
        on leads_created_by_as_of.consultant_key = consultant_names.consultant_key
    left join furthest_milestones
        on leads_created_by_as_of.lead_id = furthest_milestones.lead_id
    left join calls_per_lead
        on leads_created_by_as_of.lead_id = calls_per_lead.lead_id
    left join unconfirmed_milestones_ranked
        on
            leads_created_by_as_of.lead_id = unconfirmed_milestones_ranked.lead_id
            and unconfirmed_milestones_ranked.unconfirmed_rank = 1
    left join scheduled_milestones_ranked
        on
            leads_created_by_as_of.lead_id = scheduled_milestones_ranked.lead_id
            and scheduled_milestones_ranked.scheduled_rank = 1
    left join status_milestones_ahead
        on leads_created_by_as_of.lead_id = status_milestones_ahead.lead_id

),

closed_on_found as (

    -- The day a lead the latest export says is lost or declined closed: the day the export
    -- gives, when the lead can have closed on it (on or after its creation, and on or
    -- before the first load whose export showed it closed); else the day of that load: it
    -- had closed by then. A lead reopened and closed again closed the second time. One
    -- closed by the day it was first loaded (a team's first import of its history) may
    -- have died any time before: first_load.
    select
        *,
        case
            when recorded_status not in ('lost', 'declined') or recorded_status is null
                then null
            when recorded_closed_date between created_date and closed_loaded_date
                then recorded_closed_date
            else closed_loaded_date
        end as closed_on,
        case
            when recorded_status not in ('lost', 'declined') or recorded_status is null
                then null
            when recorded_closed_date between created_date and closed_loaded_date
                then 'recorded'
            when closed_loaded_date <= first_loaded_date then 'first_load'
            else 'load_date'
        end as closed_on_source
    from lead_facts_joined

),

closed_after_as_of_flagged as (

    select
        *,
        coalesce(
            closed_on > {{ as_of_date() }} and closed_on_source <> 'first_load', false
        ) as is_closed_after_as_of
    from closed_on_found

),

status_resolved as (

    -- Lost or declined in the export wins, from the day it closed: a build replaying an
    -- earlier day (the exports loaded later) counts a lead that closed after it by its
    -- milestones, as it stood then, as the History page counts it live on the days before.
    -- A lead closed when first loaded is closed all the same (nothing says since when).
    -- Otherwise the further of the export's status and the milestones': a tracker's Status
    -- column left at Open does not keep a lead whose start is confirmed open (and on the
    -- gone-quiet list), and a lead marked filled is completed once its probation is. An
    -- export's filled or completed waits for the milestone's date when it is still ahead
    -- (a start promised, or a replayed day before it): filled from the start (completed
    -- marked with the probation's end ahead), open before it.
    select
        *,
        case
            when
                recorded_status in ('lost', 'declined') and not is_closed_after_as_of
                then recorded_status
            when
                has_reached_final_milestone
                or (recorded_status = 'completed' and not is_final_milestone_ahead)
                then 'completed'
            when
                has_reached_filled_milestone
                or (
                    recorded_status in ('filled', 'completed')
                    and not is_filled_milestone_ahead
                )
                then 'filled'
            else 'open'
        end as status
    from closed_after_as_of_flagged

),

closed_dated as (

    -- The day a lost or declined lead stopped counting as live (closed_on), capped at the
    -- as-of date for one closed when first loaded by a load after it (a tick's load date is
    -- capped the same way).
    select
        *,
        case
            when status in ('lost', 'declined') then least(closed_on, {{ as_of_date() }})
        end as closed_date,
        case when status in ('lost', 'declined') then closed_on_source end as closed_date_source
    from status_resolved

),

money_computed as (

    select
        *,
        cast(
            coalesce(fee, salary * fee_pct / 100) as {{ dbt.type_numeric() }}
        ) as expected_fee,
        cast(
            case when status = 'lost' then coalesce(fee, salary * fee_pct / 100) end
            as {{ dbt.type_numeric() }}
        ) as fee_lost,
        case when status = 'lost' then furthest_milestone end as lost_at_milestone
    from closed_dated

),

last_touch_found as (

    -- The latest call or milestone; the creation date when there has been neither since.
    select
        *,
        greatest(
            created_date,
            coalesce(last_call_date, created_date),
            coalesce(last_milestone_date, created_date)
        ) as last_touch_date,
        case
            when furthest_order is null
                then {{ var('quiet_after_days_without_milestone') }}
            else furthest_quiet_after_days
        end as quiet_threshold_days,
        {{ as_of_date() }} as as_of_date
    from money_computed

),

quiet_measured as (

    select
        *,
        {{ days_between('last_touch_date', 'as_of_date') }} as days_quiet,
        next_callback_date is not null as is_paused
    from last_touch_found

),

gone_quiet_flagged as (

    select
        *,
        coalesce(
            status = 'open' and days_quiet > quiet_threshold_days, false
        ) as is_quiet_too_long,
        coalesce(
            status = 'open' and unconfirmed_date < as_of_date, false
        ) as is_scheduled_date_passed
    from quiet_measured

),

stale_reasons_written as (

    select
        *,
        (is_quiet_too_long or is_scheduled_date_passed) and not is_paused as is_stale,
        case
            when is_quiet_too_long
                -- What the days count from (the last touch: a call, a milestone, or the
                -- lead's creation), then the stage the lead is at, unless that milestone is
                -- the last touch itself: "since a call on 31/07/2025, at CVs received".
                then
                    'No touch for '
                    || cast(days_quiet as {{ dbt.type_string() }})
                    || ' days since '
                    || case
                        when last_touch_date = last_call_date
                            then 'a call on '
                        when last_touch_date = furthest_milestone_date
                            then 'reaching ' || furthest_milestone_label || ' on '
                        when last_touch_date = last_milestone_date
                            then 'a milestone on '
                        else 'the lead was created on '
                    end
                    || {{ format_uk_date('last_touch_date') }}
                    || case
                        when
                            last_touch_date = last_call_date
                            or last_touch_date <> furthest_milestone_date
                            or furthest_milestone_date is null
                            then coalesce(', at ' || furthest_milestone_label, ', no milestone yet')
                        else ''
                    end
                    || ' (threshold '
                    || cast(quiet_threshold_days as {{ dbt.type_string() }})
                    || ')'
        end as quiet_reason,
        case
            when is_scheduled_date_passed
                then
                    unconfirmed_milestone_label
                    || ' '
                    || {{ format_uk_date('unconfirmed_date') }}
                    || ' passed unconfirmed'
        end as scheduled_reason
    from gone_quiet_flagged

),

final as (

    select
        lead_id,
        consultant,
        team,
        manager,
        client,
        contact,
        phone,
        email,
        job_title,
        created_date,
        {{ week_start('created_date') }} as created_week,
        {{ month_start('created_date') }} as created_month,
        salary,
        fee_pct,
        fee,
        expected_fee,
        status,
        recorded_status,
        coalesce(recorded_status <> status, true) as is_status_derived,
        -- Not the reason of a closing after the as-of date.
        case when not is_closed_after_as_of then lost_reason end as lost_reason,
        closed_date,
        closed_date_source,
        lost_at_milestone,
        fee_lost,
        furthest_order as furthest_milestone_order,
        furthest_milestone,
        furthest_milestone_label,
        furthest_milestone_date,
        milestones_reached,
        coalesce(has_reached_filled_milestone, false) as has_reached_filled_milestone,
        unconfirmed_milestone,
        unconfirmed_milestone_label,
        unconfirmed_date,
        next_scheduled_milestone,
        next_scheduled_milestone_label,
        next_scheduled_date,
        calls_made,
        calls_connected,
        last_call_date,
        last_connected_call_date,
        last_milestone_date,
        last_touch_date,
        days_quiet,
        quiet_threshold_days,
        next_callback_date,
        is_paused,
        is_quiet_too_long,
        is_scheduled_date_passed,
        is_stale,
        case
            when is_stale and quiet_reason is not null and scheduled_reason is not null
                then scheduled_reason || '; ' || quiet_reason
            when is_stale then coalesce(scheduled_reason, quiet_reason)
        end as stale_reason,
        case
            when status = 'declined'
                then {{ add_days('last_touch_date', var('revisit_declined_after_days')) }}
        end as revisit_due_date,
        notes,
        as_of_date
    from stale_reasons_written

)

select * from final
