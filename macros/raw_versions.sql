{#-
    Raw is append-only: every load is a new version of what it holds. These two macros are
    how every staging model reads it.
-#}

{#- The raw table, or on an incremental run only the loads newer than the latest staged. -#}
{% macro raw_loads_since_last_run(table) -%}
    select * from {{ source('raw', table) }}
    {% if is_incremental() %}
        where
            _load_id > (
                select coalesce(max(staged.load_id), -1) from {{ this }} as staged
            )
    {% endif %}
{%- endmacro %}

{#- The latest version per key of `relation`: the newest load, then the lowest row in it. -#}
{% macro latest_versions(relation, key) -%}
    select * from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by _load_id desc, _source_row desc
            ) as version_rank
        from {{ relation }}
    ) as versions_ranked
    where version_rank = 1
{%- endmacro %}
