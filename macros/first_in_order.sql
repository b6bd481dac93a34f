{#-
    The first value of an expression in the given order, as an aggregate; null when the
    first row's value is null. DuckDB has first() with an order; PostgreSQL takes the first
    element of an ordered array.
-#}
{% macro first_in_order(expression, order_by) -%}
    {{ return(adapter.dispatch('first_in_order', 'leadtrack')(expression, order_by)) }}
{%- endmacro %}

{% macro default__first_in_order(expression, order_by) -%}
    (array_agg({{ expression }} order by {{ order_by }}))[1]
{%- endmacro %}

{% macro duckdb__first_in_order(expression, order_by) -%}
    first({{ expression }} order by {{ order_by }})
{%- endmacro %}
