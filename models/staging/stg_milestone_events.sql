{{
    config(
        materialized='incremental',
        unique_key='event_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{#- Asked once: each asking reads the staged table's columns from the database. -#}
{%- set incremental = staged_incrementally() -%}
{%- set columns -%}
    event_key, lead_id, milestone, event_date, is_date_unknown, first_ticked_date, candidate,
    notes, load_id, source_file, source_row, loaded_date, first_loaded_date
{%- endset %}

{#- What one lead's milestone (for one candidate) is known by, across versions. -#}
{%- set event_key -%}
    trim(lead_id) || '|' || lower(trim(milestone)) || '|' || coalesce(trim(candidate), '')
{%- endset %}

-- Incremental on the raw load: raw is append-only and every load is a new version, so a
-- run reads only loads newer than the latest here and replaces the versions it supersedes.
with

source as {{ read_again_not_copied() }} (

    {{ raw_loads_since_last_run('milestone_events') }}

),

events_with_a_date_or_tick as {{ read_again_not_copied() }} (

    -- A cleared cell in a later export never un-reaches a milestone: only rows that say
    -- something (a date or a tick) compete for the latest version.
    select * from source
    where event_date is not null or is_date_unknown

),

keyed as {{ read_again_not_copied() }} (

    select
        *,
        {{ event_key }} as event_key
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

ticked_leads as (

    -- The leads with a tick in any load: a milestone whose latest version is a tick is one
    -- of theirs. Read from raw as the dates below are, so the run's staged table is not
    -- asked about again.
    select distinct trim(lead_id) as lead_id
    from {{ source('raw', 'milestone_events') }}
    where is_date_unknown

),

dates_before_ticks as (

    -- A tick in a later export than a date for the same milestone says less, not otherwise
    -- (the date's cell was pasted over with "Y"): the latest date written stays. Read from
    -- every load (raw keeps them all), for the ticked leads alone.
    select
        event_key,
        event_date as date_before_tick,
        row_number() over (
            partition by event_key
            order by _load_id desc, _source_row desc
        ) as date_rank
    from (
        select
            {{ event_key }} as event_key,
            event_date,
            _load_id,
            _source_row
        from {{ source('raw', 'milestone_events') }}
        where
            event_date is not null
            and trim(lead_id) in (select ticked_leads.lead_id from ticked_leads)
    ) as dated

),

first_ticks as (

    -- When the milestone was first ticked, dated or not (a Started column ticked beside the
    -- Start date, a tick pasted over the date), in any load: a tick the consultant put there
    -- on or after the day confirms a start; one put there ahead of it does not, and a later
    -- export clearing the tick does not take the confirmation back.
    select
        {{ event_key }} as event_key,
        min(cast(_loaded_at as date)) as first_ticked_date
    from {{ source('raw', 'milestone_events') }}
    where is_date_unknown or coalesce(is_ticked, false)
    group by {{ event_key }}

),

dates_kept as (

    select
        first_loads_found.*,
        dates_before_ticks.date_before_tick,
        first_ticks.first_ticked_date
    from first_loads_found
    left join dates_before_ticks
        on
            first_loads_found.event_date is null
            and first_loads_found.event_key = dates_before_ticks.event_key
            and dates_before_ticks.date_rank = 1
    left join first_ticks
        on first_loads_found.event_key = first_ticks.event_key

),

renamed as (

    select
        event_key,
        trim(lead_id) as lead_id,
        lower(trim(milestone)) as milestone,
        coalesce(event_date, date_before_tick) as event_date,
        -- A tick ("Y", "✓"): reached on a date nobody wrote down.
        event_date is null and date_before_tick is null as is_date_unknown,
        first_ticked_date,
        nullif(trim(candidate), '') as candidate,
        notes,
        _load_id as load_id,
        _source_file as source_file,
        _source_row as source_row,
        cast(_loaded_at as date) as loaded_date,
        first_loaded_date
    from dates_kept

),

tracker_rows_loaded as (

    -- The lead rows of this run's tracker exports (every row, whatever its cells hold).
    select
        trim(leads.lead_id) as lead_id,
        leads._load_id as load_id,
        cast(leads._loaded_at as date) as loaded_date
    from {{ source('raw', 'leads') }} as leads
    inner join {{ source('raw', 'loads') }} as loads
        on leads._load_id = loads.load_id
    where
        loads.kind = 'tracker'
    {% if incremental %}
        and leads._load_id > (
            select coalesce(max(staged.load_id), -1) from {{ this }} as staged
        )
    {% endif %}

),

milestone_columns_loaded as (

    -- The milestones each of this run's exports has a column for (one cell of it filled).
    select distinct
        _load_id as load_id,
        lower(trim(milestone)) as milestone
    from source

),

latest_known as (

    -- The latest version of each event: this run's, else (an incremental run) the one
    -- staged before, for the leads a tracker of this run holds.
    select {{ columns }}, false as is_withdrawn, true as is_this_runs from renamed
    {% if incremental %}
        union all
        select {{ columns }}, staged.is_withdrawn, false as is_this_runs
        from {{ this }} as staged
        where
            staged.lead_id in (select tracker_rows_loaded.lead_id from tracker_rows_loaded)
            and staged.event_key not in (select renamed.event_key from renamed)
    {% endif %}

),

withdrawn_events as (

    -- A date still ahead when a later tracker export of the lead left its cell blank (an
    -- interview cancelled, a start postponed): a promise taken back, not a milestone
    -- un-reached. A date already passed, a tick, or another kind of export stays.
    select distinct latest_known.event_key
    from latest_known
    inner join {{ source('raw', 'loads') }} as version_loads
        on latest_known.load_id = version_loads.load_id
    inner join tracker_rows_loaded as later
        on
            latest_known.lead_id = later.lead_id
            and latest_known.load_id < later.load_id
            and latest_known.event_date > later.loaded_date
    inner join milestone_columns_loaded
        on
            later.load_id = milestone_columns_loaded.load_id
            and latest_known.milestone = milestone_columns_loaded.milestone
    where
        version_loads.kind = 'tracker'
        and latest_known.first_ticked_date is null
        and not latest_known.is_withdrawn

),

flagged as (

    -- This run's versions, and the staged events withdrawn now: kept, marked withdrawn, so
    -- that a later export writing the date again is a new version as in a full build.
    select
        {{ columns }},
        latest_known.is_withdrawn
        or latest_known.event_key in (select withdrawn_events.event_key from withdrawn_events)
            as is_withdrawn
    from latest_known
    where
        latest_known.is_this_runs
        or latest_known.event_key in (select withdrawn_events.event_key from withdrawn_events)

)

select * from flagged
