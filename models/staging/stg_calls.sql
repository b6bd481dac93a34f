{{
    config(
        materialized='incremental',
        unique_key='call_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on the raw load: raw is append-only and every load is a new version, so a
-- run reads only loads newer than the latest here and replaces the versions it supersedes.
with

source as {{ read_again_not_copied() }} (

    {{ raw_loads_since_last_run('calls') }}

),

source_keyed as {{ read_again_not_copied() }} (

    -- A call log without ids: ingest gives each call an `md5:` id from its text. Here it is
    -- the call's consultant (as matched everywhere: case and spacing do not count), its time
    -- and its lead, so a re-export writing "ALICE  hart" or another date format is the same
    -- call, not a second one. A lead's second and later calls of a day in a log of days (no
    -- time of day) have their number after the hash (`md5:<32 hex>:2`), kept here: the
    -- text after the 36 characters of `md5:` and the hash ('' for every other call).
    select
        *,
        case
            when call_id like 'md5:%'
                then 'md5:' || md5(
                        {{ consultant_key('consultant') }}
                        || '|' || coalesce(cast(called_at as {{ dbt.type_string() }}), '')
                        || '|' || coalesce(trim(lead_id), '')
                    ) || substr(call_id, 37)
            else call_id
        end as call_key
    from source

),

latest_versions as (

    {{ latest_versions('source_keyed', 'call_key') }}

),

renamed as (

    select
        trim(call_key) as call_id,
        call_id like 'md5:%' as is_call_id_derived,
        nullif(trim(lead_id), '') as lead_id,
        {{ consultant_spelling('consultant') }} as consultant,
        {{ consultant_key('consultant') }} as consultant_key,
        called_at,
        cast(called_at as date) as called_date,
        nullif(trim(outcome), '') as outcome,
        lower(trim(outcome)) as outcome_normalised,
        callback_date,
        nullif(trim(contact), '') as contact,
        notes,
        _load_id as load_id,
        _source_file as source_file,
        _source_row as source_row,
        cast(_loaded_at as date) as loaded_date
    from latest_versions

),

outcomes_classified as (

    -- Each outcome the loads write, classified once and joined to the calls: a call log
    -- has a handful of outcomes and millions of calls. Matched on every call, the patterns
    -- took this model's select of 10.9M calls from 10.5 s to 13.6 s of CPU.
    select
        outcome_normalised,
        -- Not connected: no one answered, or a connection that failed, written with the
        -- very words a connected call is (disconnected, didn't connect, not reached). A
        -- word against what was said (spoke - not interested) leaves the call connected.
        case
            when outcome_normalised like '%no answer%'
                or outcome_normalised like '%disconnect%'
                or outcome_normalised like '%no connection%'
                or outcome_normalised like '%no conversation%'
                {%- set reaching_words = [
                    'connect', 'reach', 'answer', 'speak', 'spoke', 'talk', 'get through'
                ] %}
                {%- for negation in ['not ', "n''t ", 'unable to ', 'cannot '] %}
                    {%- for reaching in reaching_words %}
                        or outcome_normalised like '%{{ negation }}{{ reaching }}%'
                    {%- endfor %}
                {%- endfor %}
                or outcome_normalised like '%unanswered%'
                or outcome_normalised like '%voicemail%'
                or outcome_normalised like '%left message%'
                or outcome_normalised like '%busy%'
                or outcome_normalised like '%missed%'
                or outcome_normalised like '%no reply%'
                or outcome_normalised like '%failed%'
                then false
            when outcome_normalised like '%connect%'
                or outcome_normalised like '%spoke%'
                or outcome_normalised like '%spoken%'
                or outcome_normalised like '%answered%'
                or outcome_normalised like '%reached%'
                or outcome_normalised like '%conversation%'
                or outcome_normalised like '%talked%'
                or outcome_normalised like '%meeting%'
                then true
            else false
        end as is_connected
    from (select distinct lower(trim(outcome)) as outcome_normalised from source) as outcomes

),

connection_flagged as (

    select
        renamed.call_id,
        renamed.is_call_id_derived,
        renamed.lead_id,
        renamed.consultant,
        renamed.consultant_key,
        renamed.called_at,
        renamed.called_date,
        renamed.outcome,
        -- A call without an outcome is not connected.
        coalesce(outcomes_classified.is_connected, false) as is_connected,
        renamed.callback_date,
        renamed.contact,
        renamed.notes,
        renamed.load_id,
        renamed.source_file,
        renamed.source_row,
        renamed.loaded_date
    from renamed
    left join outcomes_classified
        on renamed.outcome_normalised = outcomes_classified.outcome_normalised

)

select * from connection_flagged
