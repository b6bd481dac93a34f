{#- On DuckDB, a table copy of the model in the file the marts are built into (`published`,
    leadtrack/dbt_published.py), under the same schema and name: for a model that the
    warehouse's models read and the published file's readers read too (the milestone
    catalogue). Nothing on PostgreSQL, where readers read the warehouse's own. -#}
{% macro copy_into_published() -%}
    {%- if target.type == 'duckdb' -%}
        create schema if not exists published.{{ this.schema }};
        create or replace table published.{{ this.schema }}.{{ this.identifier }} as
        select * from {{ this }}
    {%- endif -%}
{%- endmacro %}
