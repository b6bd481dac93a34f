{{ config(materialized='table') }}

-- One row per lead with calls made on or before the as-of date: the call log aggregated once,
-- so later models never scan calls per lead.
with

calls as (

    select * from {{ ref('stg_calls') }}

),

calls_made_by_as_of as (

    select * from calls
    where
        lead_id is not null
        and called_date <= {{ as_of_date() }}

),

aggregated as (

    select
        lead_id,
        count(*) as calls_made,
        sum(case when is_connected then 1 else 0 end) as calls_connected,
        min(called_date) as first_call_date,
        max(called_date) as last_call_date,
        max(case when is_connected then called_date end) as last_connected_call_date,
        min(
            case when callback_date > {{ as_of_date() }} then callback_date end
        ) as next_callback_date
    from calls_made_by_as_of
    group by lead_id

)

select * from aggregated
