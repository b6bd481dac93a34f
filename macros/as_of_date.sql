{#-
    The as-of date every "today"-relative column is computed for: the `as_of` var
    (an ISO date), or the current date when it is empty. The only place that reads the var.
-#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of', '') -%}
    {%- if as_of is none or (as_of | string | trim) == '' -%}
        current_date
    {%- else -%}
        cast('{{ as_of | string | trim }}' as date)
    {%- endif -%}
{%- endmacro %}
