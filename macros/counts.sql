{#-
    A sum of counts, itself a count: a bigint on every engine (DuckDB sums integers to a
    128-bit integer, which a dashboard or report then shows as 21,125.0).
-#}
{% macro sum_of_counts(column) -%}
    cast(sum({{ column }}) as {{ dbt.type_bigint() }})
{%- endmacro %}
