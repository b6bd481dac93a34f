{#-
    Continuous percentile of an expression as an aggregate (interpolated, like Excel's
    PERCENTILE.INC). DuckDB spells it quantile_cont; PostgreSQL and most warehouses use the
    ordered-set form.
-#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'leadtrack')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}
