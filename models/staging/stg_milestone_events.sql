{{
    config(
        materialized='incremental',
        unique_key='event_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

-- Incremental on the raw load: raw is append-only and every load is a new version, so a
-- run reads only loads newer than the latest here and replaces the versions it supersedes.
with

source as (

    {{ raw_loads_since_last_run('milestone_events') }}

),

events_with_a_date_or_tick as (

    -- A cleared cell in a later export never un-reaches a milestone: only rows that say
    -- something (a date or a tick) compete for the latest version.
    select * from source
    where event_date is not null or is_date_unknown

),

keyed as (

    select
        *,
        trim(lead_id)
        || '|' || lower(trim(milestone))
        || '|' || coalesce(trim(candidate), '') as event_key
    from events_with_a_date_or_tick

),

latest_versions as (

    {{ latest_versions('keyed', 'event_key') }}

),

first_loads_found as (

    -- When the lead's milestone (for the candidate) first appeared: an undated tick was
    -- reached by then, however many later exports repeat it.
    {{ first_loaded_dates('latest_versions', 'event_key', 'latest_versions.event_key') }}

),

renamed as (

    select
        event_key,
        trim(lead_id) as lead_id,
        lower(trim(milestone)) as milestone,
        event_date,
        -- A tick ("Y", "✓"): reached on a date nobody wrote down.
        event_date is null as is_date_unknown,
        nullif(trim(candidate), '') as candidate,
        notes,
        _load_id as load_id,
        _source_file as source_file,
        _source_row as source_row,
        cast(_loaded_at as date) as loaded_date,
        first_loaded_date
    from first_loads_found

)

select * from renamed
