{#-
    Raw is append-only: every load is a new version of what it holds. These macros are how
    every staging model reads it.
-#}

{#-
    Whether this run adds to the staged table, rather than staging every load again: not on a
    first or full build, nor when the staged table lacks a column the model documents (staged
    by an earlier leadtrack; the model's on_schema_change adds it, and every row is staged
    again to fill it).
-#}
{% macro staged_incrementally() -%}
    {%- if not is_incremental() -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- set staged = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- set missing = model.columns.keys() | map('lower') | reject('in', staged) | list -%}
    {{- return(missing | length == 0) -}}
{%- endmacro %}

{#-
    Staging every load again starts from an empty table (a staging model's pre-hook): the
    delete+insert replaces only the keys it stages, and a key an earlier leadtrack staged
    otherwise (a call log's derived ids) would stay beside its new form, counted twice.
-#}
{% macro empty_before_restaging() -%}
    {%- if is_incremental() and not staged_incrementally() -%}
        delete from {{ this }}
    {%- endif -%}
{%- endmacro %}

{#- The raw table, or on an incremental run only the loads newer than the latest staged. -#}
{% macro raw_loads_since_last_run(table) -%}
    select * from {{ source('raw', table) }}
    {% if staged_incrementally() %}
        where
            _load_id > (
                select coalesce(max(staged.load_id), -1) from {{ this }} as staged
            )
    {% endif %}
{%- endmacro %}

{#-
    The latest version per key of `relation`: the newest load, then the last row in it; with
    `_first_loaded_at`, when the key's first version among these rows was loaded. With
    `since` (a condition on a version: that it says the lead is closed), also `_since_at`:
    when the key's latest unbroken run of versions meeting it began, the earliest
    `_loaded_at` among them (null when the latest version does not meet it); and
    `_since_first`: whether every version of the key among these rows meets it.
-#}
{% macro latest_versions(relation, key, since=none) -%}
    {{ return(adapter.dispatch('latest_versions', 'leadtrack')(relation, key, since)) }}
{%- endmacro %}

{% macro default__latest_versions(relation, key, since=none, where='true') -%}
    select * from (
        select
            *
            {%- if since %},
                min(
                    case when _versions_not_meeting_since = 0 then _loaded_at end
                ) over (partition by {{ key }}) as _since_at,
                max(_versions_not_meeting_since) over (partition by {{ key }}) = 0
                    as _since_first
            {%- endif %}
        from (
            select
                *,
                row_number() over (
                    partition by {{ key }}
                    order by _load_id desc, _source_row desc
                ) as version_rank,
                {%- if since %}
                    -- From the newest version back to this one, how many do not meet it:
                    -- none along the latest unbroken run of versions that do.
                    sum(case when {{ since }} then 0 else 1 end) over (
                        partition by {{ key }}
                        order by _load_id desc, _source_row desc
                        rows between unbounded preceding and current row
                    ) as _versions_not_meeting_since,
                {%- endif %}
                min(_loaded_at) over (partition by {{ key }}) as _first_loaded_at
            from {{ relation }}
            where {{ where }}
        ) as versions_counted
    ) as versions_ranked
    where version_rank = 1
{%- endmacro %}

{#-
    How a model declares a CTE over the call log (or another large table) that it reads
    more than once: DuckDB would otherwise materialise it, copying every row in memory first
    (2.8 s of stg_calls' 10 s at 10.9M calls, where the latest versions below read theirs
    three times; reading the table again costs less). Other engines decide themselves.
-#}
{% macro read_again_not_copied() -%}
    {{ return(adapter.dispatch('read_again_not_copied', 'leadtrack')()) }}
{%- endmacro %}

{% macro default__read_again_not_copied() -%}
{%- endmacro %}

{% macro duckdb__read_again_not_copied() -%}
    not materialized
{%- endmacro %}

{#-
    Most keys have one version, and ranking every row sorts the whole table (5.8 s of a
    10.9M-row call log's first build, against 2 s this way): only the rows of keys seen more
    than once are ranked. Keys are told apart by their hash here; keys sharing a hash are
    ranked together, each in its own partition, so a collision costs time, never a row.
-#}
{% macro duckdb__latest_versions(relation, key, since=none) -%}
    with repeated_keys as (
        select hash({{ key }}) as key_hash from {{ relation }}
        group by key_hash
        having count(*) > 1
    )

    select
        *,
        1 as version_rank,
        {%- if since %}
            {#- The columns in the order the ranked versions below have them. #}
            case when {{ since }} then 0 else 1 end as _versions_not_meeting_since,
        {%- endif %}
        _loaded_at as _first_loaded_at
        {%- if since %},
            case when {{ since }} then _loaded_at end as _since_at,
            coalesce({{ since }}, false) as _since_first
        {%- endif %}
    from {{ relation }}
    where hash({{ key }}) not in (select repeated_keys.key_hash from repeated_keys)
    union all
    {{ default__latest_versions(
        relation,
        key,
        since,
        where='hash(' ~ key ~ ') in (select repeated_keys.key_hash from repeated_keys)',
    ) }}
{%- endmacro %}

{#-
    When each key of `relation` (the latest versions of this run's loads) was first loaded, as
    a date: on an incremental run, a key staged before keeps the date it was staged with, since
    the earlier loads are not read again. `key` names the staged column; `key_expression` is
    the same key computed from `relation`'s columns.
-#}
{% macro first_loaded_dates(relation, key, key_expression) -%}
    {#- Asked once: each asking reads the staged table's columns from the database. -#}
    {%- set incremental = staged_incrementally() %}
    select
        {{ relation }}.*,
        {% if incremental -%}
            coalesce(staged.first_loaded_date, cast({{ relation }}._first_loaded_at as date))
        {%- else -%}
            cast({{ relation }}._first_loaded_at as date)
        {%- endif %} as first_loaded_date
    from {{ relation }}
    {% if incremental -%}
        left join {{ this }} as staged on {{ key_expression }} = staged.{{ key }}
    {%- endif %}
{%- endmacro %}
