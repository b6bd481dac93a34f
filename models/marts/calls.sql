-- A view: the call log is as large as the calls themselves, and every column but the as-of
-- filter is stg_calls', so a table would copy it at every build for nothing.
{{ config(materialized='view') }}

with

calls as (

    select * from {{ ref('stg_calls') }}

),

calls_made_by_as_of as (

    select
        call_id,
        lead_id,
        consultant,
        called_at,
        called_date,
        outcome,
        is_connected,
        callback_date,
        contact,
        notes
    from calls
    where called_date <= {{ as_of_date() }}

)

select * from calls_made_by_as_of
