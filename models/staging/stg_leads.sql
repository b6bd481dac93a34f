{{
    config(
        materialized='incremental',
        unique_key='lead_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}

{#- Asked once: each asking reads the staged table's columns from the database. -#}
{%- set incremental = staged_incrementally() -%}
{#- A version that says the lead is closed: it died (lost) or was turned down (declined). -#}
{%- set closed = "lower(trim(status)) in ('lost', 'declined')" -%}

-- Incremental on the raw load: raw is append-only and every load is a new version, so a
-- run reads only loads newer than the latest here and replaces the versions it supersedes.
with

source as {{ read_again_not_copied() }} (

    {{ raw_loads_since_last_run('leads') }}

),

latest_versions as (

    -- With when the lead's latest unbroken run of closed versions began.
    {{ latest_versions('source', 'lead_id', since=closed) }}

),

first_loads_found as (

    -- When the lead first appeared: a tick already on it then was reached on a day nobody
    -- knows, not on the day it was loaded.
    {{ first_loaded_dates('latest_versions', 'lead_id', 'trim(latest_versions.lead_id)') }}

),

closed_runs_continued as (

    -- The day the lead's latest unbroken run of closed versions began, over every load: on
    -- an incremental run whose versions of the lead are all closed, the run staged before
    -- goes on (it began in an earlier load).
    select
        first_loads_found.*,
        {% if incremental -%}
            case
                when first_loads_found._since_first and staged.closed_loaded_date is not null
                    then staged.closed_loaded_date
                else cast(first_loads_found._since_at as date)
            end
        {%- else -%}
            cast(first_loads_found._since_at as date)
        {%- endif %} as closed_loaded_date
    from first_loads_found
    {% if incremental -%}
        left join {{ this }} as staged
            on trim(first_loads_found.lead_id) = staged.lead_id
    {%- endif %}

),

renamed as (

    select
        trim(lead_id) as lead_id,
        created_date,
        {{ consultant_spelling('consultant') }} as consultant,
        {{ consultant_key('consultant') }} as consultant_key,
        nullif(trim(client), '') as client,
        nullif(trim(contact), '') as contact,
        nullif(trim(phone), '') as phone,
        nullif(trim(email), '') as email,
        nullif(trim(job_title), '') as job_title,
        cast(salary as {{ dbt.type_numeric() }}) as salary,
        cast(fee_pct as {{ dbt.type_numeric() }}) as fee_pct,
        cast(fee as {{ dbt.type_numeric() }}) as fee,
        nullif(lower(trim(status)), '') as status,
        nullif(trim(lost_reason), '') as lost_reason,
        closed_date as recorded_closed_date,
        closed_loaded_date,
        notes,
        _load_id as load_id,
        _source_file as source_file,
        _source_row as source_row,
        cast(_loaded_at as date) as loaded_date,
        first_loaded_date
    from closed_runs_continued

)

select * from renamed
