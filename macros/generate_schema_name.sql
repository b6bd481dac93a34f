{#- Schemas are named exactly raw, staging, intermediate and marts on every engine. On
    PostgreSQL the marts are built into marts__building, which leadtrack then renames to marts
    in one transaction (leadtrack/postgres.py, promote_build): readers never see half a build. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.type == 'postgres' and custom_schema_name | trim == 'marts' -%}
        marts__building
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
