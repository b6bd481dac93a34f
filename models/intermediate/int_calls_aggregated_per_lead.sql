{{ config(materialized='table') }}

-- One row per lead with calls made on or before the as-of date: the call log aggregated once,
-- so later models never scan calls per lead.
with

calls as {{ read_again_not_copied() }} (

    select * from {{ ref('stg_calls') }}

),

calls_made_by_as_of as {{ read_again_not_copied() }} (

    select * from calls
    where
        lead_id is not null
        and called_date <= {{ as_of_date() }}

),

aggregated as (

    select
        lead_id,
        count(*) as calls_made,
        count(case when is_connected then 1 end) as calls_connected,
        min(called_date) as first_call_date,
        max(called_date) as last_call_date,
        max(case when is_connected then called_date end) as last_connected_call_date
    from calls_made_by_as_of
    group by lead_id

),

promises_ranked as (

    -- The call-back agreed on the lead's latest call that agreed one: a later promise
    -- replaces an earlier one (as on the call list).
    select
        lead_id,
        callback_date,
        called_date,
        called_at,
        row_number() over (
            partition by lead_id order by called_at desc, call_id desc
        ) as promise_rank
    from calls_made_by_as_of
    where callback_date is not null

),

latest_promises as (

    select * from promises_ranked
    where promise_rank = 1

),

promises_kept as (

    -- A promise is kept by a later call: the first connected call made after the call that
    -- agreed it, on or after the day agreed. The connected call at 17:00 agreeing "call
    -- back at 7pm" is on the day, but it made the promise; it does not keep it.
    select
        latest_promises.lead_id,
        min(calls_made_by_as_of.called_date) as kept_date
    from latest_promises
    inner join calls_made_by_as_of
        on
            latest_promises.lead_id = calls_made_by_as_of.lead_id
            and latest_promises.called_at < calls_made_by_as_of.called_at
            and latest_promises.callback_date <= calls_made_by_as_of.called_date
    where calls_made_by_as_of.is_connected
    group by latest_promises.lead_id

),

next_callbacks_joined as (

    select
        aggregated.*,
        latest_promises.callback_date as latest_callback_date,
        latest_promises.called_date as latest_callback_agreed_date,
        promises_kept.kept_date as latest_callback_kept_date,
        case
            when latest_promises.callback_date > {{ as_of_date() }}
                then latest_promises.callback_date
        end as next_callback_date
    from aggregated
    left join latest_promises
        on aggregated.lead_id = latest_promises.lead_id
    left join promises_kept
        on aggregated.lead_id = promises_kept.lead_id

)

select * from next_callbacks_joined
