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
        row_number() over (
            partition by lead_id order by called_at desc, call_id desc
        ) as promise_rank
    from calls_made_by_as_of
    where callback_date is not null

),

next_callbacks_joined as (

    select
        aggregated.*,
        promises_ranked.callback_date as latest_callback_date,
        promises_ranked.called_date as latest_callback_agreed_date,
        case
            when promises_ranked.callback_date > {{ as_of_date() }}
                then promises_ranked.callback_date
        end as next_callback_date
    from aggregated
    left join promises_ranked
        on
            aggregated.lead_id = promises_ranked.lead_id
            and promises_ranked.promise_rank = 1

)

select * from next_callbacks_joined
