{{ config(materialized='table') }}

-- Every call a consultant owes, one row per lead, due date and reason: milestone days and
-- their follow-ups, agreed call-backs, unconfirmed milestones, declined-lead revisits, and
-- leads gone quiet that no other call today is about.
with

leads as (

    select * from {{ ref('int_leads_enriched') }}

),

milestone_events as (

    select * from {{ ref('int_milestone_events_rolled_up') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

calls_per_lead as (

    select * from {{ ref('int_calls_aggregated_per_lead') }}

),

milestone_dates as (

    -- The lead's own date for each milestone (reached or scheduled), on leads still going.
    select
        milestone_events.lead_id,
        milestone_events.milestone,
        milestone_events.milestone_order,
        milestone_events.first_candidate as candidate,
        coalesce(
            milestone_events.reached_event_date, milestone_events.scheduled_event_date
        ) as milestone_date,
        milestone_catalogue.call_on_day,
        milestone_catalogue.follow_up_call,
        milestone_catalogue.follow_up_after_days,
        leads.furthest_milestone_order
    from milestone_events
    inner join milestone_catalogue
        on milestone_events.milestone = milestone_catalogue.milestone
    inner join leads
        on milestone_events.lead_id = leads.lead_id
    where
        leads.status in ('open', 'filled')
        and (
            milestone_events.reached_event_date is not null
            or milestone_events.scheduled_event_date is not null
        )

),

milestone_day_calls as (

    -- On the day itself and later only: once the day has passed, the follow-up call or the
    -- unconfirmed-milestone call takes over.
    select
        lead_id,
        milestone_date as due_date,
        'milestone_day' as reason_code,
        call_on_day as reason,
        milestone,
        candidate
    from milestone_dates
    where
        call_on_day is not null
        and milestone_date >= {{ as_of_date() }}

),

follow_up_calls as (

    -- Only while the next milestone is not reached.
    select
        lead_id,
        {{ add_days('milestone_date', 'follow_up_after_days') }} as due_date,
        'milestone_follow_up' as reason_code,
        follow_up_call as reason,
        milestone,
        candidate
    from milestone_dates
    where
        follow_up_call is not null
        and coalesce(furthest_milestone_order, 0) <= milestone_order

),

callback_calls as (

    -- The call-back agreed on the lead's latest call that agreed one (a later promise
    -- replaces an earlier one: int_calls_aggregated_per_lead), until a later connected
    -- call keeps it (see overdue_calls_filtered).
    select
        calls_per_lead.lead_id,
        calls_per_lead.latest_callback_date as due_date,
        'callback' as reason_code,
        'Call back, as agreed on the call of '
        || {{ format_uk_date('calls_per_lead.latest_callback_agreed_date') }} as reason,
        cast(null as {{ dbt.type_string() }}) as milestone,
        cast(null as {{ dbt.type_string() }}) as candidate
    from calls_per_lead
    inner join leads
        on calls_per_lead.lead_id = leads.lead_id
    where
        calls_per_lead.latest_callback_date is not null
        and calls_per_lead.latest_callback_kept_date is null

),

unconfirmed_calls as (

    select
        lead_id,
        unconfirmed_date as due_date,
        'milestone_unconfirmed' as reason_code,
        unconfirmed_milestone_label
        || ' '
        || {{ format_uk_date('unconfirmed_date') }}
        || ' passed unconfirmed: call to confirm' as reason,
        unconfirmed_milestone as milestone,
        cast(null as {{ dbt.type_string() }}) as candidate
    from leads
    where
        -- Filled too: a catalogue may fill a lead before a date that needs confirming (a
        -- written offer fills it, the start still wants its call).
        status in ('open', 'filled')
        and unconfirmed_date < {{ as_of_date() }}

),

declined_revisit_calls as (

    select
        lead_id,
        revisit_due_date as due_date,
        'declined_revisit' as reason_code,
        'Declined ("thanks but no thanks"), last touch '
        || {{ format_uk_date('last_touch_date') }}
        || ': worth a revisit' as reason,
        cast(null as {{ dbt.type_string() }}) as milestone,
        cast(null as {{ dbt.type_string() }}) as candidate
    from leads
    where status = 'declined'

),

calls_unioned as (

    select * from milestone_day_calls
    union all
    select * from follow_up_calls
    union all
    select * from callback_calls
    union all
    select * from unconfirmed_calls
    union all
    select * from declined_revisit_calls

),

overdue_calls_filtered as (

    -- Due after the as-of date, plus those due on it or in the last few days that nobody
    -- has made yet: no connected call on the lead since the due date (an attempt that
    -- reached nobody is not the call). A call-back is made only by a connected call after
    -- the call that agreed it (the call agreeing "call back at 7pm" today is connected and
    -- on the day): callback_calls leaves out the ones kept. An unconfirmed milestone stays
    -- on the list until it is confirmed.
    select
        calls_unioned.lead_id,
        calls_unioned.due_date,
        calls_unioned.reason_code,
        calls_unioned.reason,
        calls_unioned.milestone,
        calls_unioned.candidate,
        calls_unioned.due_date < {{ as_of_date() }} as is_overdue,
        case
            when calls_unioned.due_date < {{ as_of_date() }}
                then {{ days_between('calls_unioned.due_date', as_of_date()) }}
            else 0
        end as days_overdue
    from calls_unioned
    inner join leads
        on calls_unioned.lead_id = leads.lead_id
    where
        calls_unioned.due_date > {{ as_of_date() }}
        or calls_unioned.reason_code = 'milestone_unconfirmed'
        or (
            calls_unioned.due_date
            >= {{ add_days(as_of_date(), -var('overdue_call_lookback_days')) }}
            and (
                calls_unioned.reason_code = 'callback'
                or leads.last_connected_call_date is null
                or leads.last_connected_call_date < calls_unioned.due_date
            )
        )

),

gone_quiet_calls as (

    -- A lead gone quiet is a call today, unless a call due today or overdue is already
    -- about it (an unconfirmed start is one): one call per lead, not two.
    select
        leads.lead_id,
        {{ as_of_date() }} as due_date,
        'gone_quiet' as reason_code,
        'Gone quiet: ' || leads.stale_reason || '. Call to revive it' as reason,
        cast(null as {{ dbt.type_string() }}) as milestone,
        cast(null as {{ dbt.type_string() }}) as candidate,
        false as is_overdue,
        0 as days_overdue
    from leads
    where
        leads.is_stale
        and not exists (
            select 1 from overdue_calls_filtered
            where
                overdue_calls_filtered.lead_id = leads.lead_id
                and overdue_calls_filtered.due_date <= {{ as_of_date() }}
        )

),

calls_owed as (

    select * from overdue_calls_filtered
    union all
    select * from gone_quiet_calls

)

select * from calls_owed
