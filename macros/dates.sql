{#- Date helpers on top of dbt's cross-database macros, always returning a date. -#}

{% macro days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') | trim }}
{%- endmacro %}

{% macro add_days(date_expression, days) -%}
    cast({{ dbt.dateadd('day', days, date_expression) }} as date)
{%- endmacro %}

{% macro week_start(date_expression) -%}
    {#- ISO weeks: Monday is the first day on DuckDB and PostgreSQL alike. -#}
    cast({{ dbt.date_trunc('week', date_expression) }} as date)
{%- endmacro %}

{% macro month_start(date_expression) -%}
    cast({{ dbt.date_trunc('month', date_expression) }} as date)
{%- endmacro %}

{#- A date as a UK reader writes it: 05/01/2026 is 5 January. -#}
{% macro format_uk_date(date_expression) -%}
    {{ return(adapter.dispatch('format_uk_date', 'leadtrack')(date_expression)) }}
{%- endmacro %}

{% macro default__format_uk_date(date_expression) -%}
    to_char({{ date_expression }}, 'DD/MM/YYYY')
{%- endmacro %}

{% macro duckdb__format_uk_date(date_expression) -%}
    strftime({{ date_expression }}, '%d/%m/%Y')
{%- endmacro %}

{#- Whether a day falls on a weekday up to the as-of date's (Monday to Thursday when the
    as-of date is a Thursday): a week still under way is compared with those days of the
    weeks before it, like for like. -#}
{% macro on_weekdays_so_far(date_expression) -%}
    {{ days_between(week_start(date_expression), date_expression) }}
    <= {{ days_between(week_start(as_of_date()), as_of_date()) }}
{%- endmacro %}
