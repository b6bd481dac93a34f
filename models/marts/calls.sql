-- On PostgreSQL a view: the call log is as large as the calls themselves, and every column
-- but the as-of filter and the consultant's name (as int_consultant_names spells it) is
-- stg_calls', so a table would copy it at every build for nothing (publishing makes it one).
-- On DuckDB a table: the marts are built into the published file, which readers open alone.
{{ config(materialized='table' if target.type == 'duckdb' else 'view') }}

with

calls as (

    select * from {{ ref('stg_calls') }}

),

consultant_names as (

    select * from {{ ref('int_consultant_names') }}

),

calls_made_by_as_of as (

    select
        calls.call_id,
        calls.lead_id,
        consultant_names.consultant,
        calls.called_at,
        calls.called_date,
        calls.outcome,
        calls.is_connected,
        calls.callback_date,
        calls.contact,
        calls.notes
    from calls
    inner join consultant_names
        on calls.consultant_key = consultant_names.consultant_key
    where calls.called_date <= {{ as_of_date() }}

)

select * from calls_made_by_as_of
