{#-
    The as-of date every "today"-relative column is computed for, as a date literal: the
    `as_of` var when one is given (unit tests, a hand-run `dbt build --vars`), else the
    LEADTRACK_AS_OF environment variable (what `leadtrack build` sets: its --as-of, else the
    day it started), else the current date (a hand-run dbt command). The only place that
    reads either.

    The environment variable is read at run time only (`execute`), never while dbt parses:
    dbt re-parses the whole project when `--vars` change and every file that read a changed
    environment variable while parsing, so a new as-of date every day would cost a full
    parse. Read at run time, it leaves the parsed project, and partial parsing, untouched.
-#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of', '') -%}
    {%- if (as_of is none or (as_of | string | trim) == '') and execute -%}
        {%- set as_of = env_var('LEADTRACK_AS_OF', '') -%}
    {%- endif -%}
    {%- if as_of is none or (as_of | string | trim) == '' -%}
        current_date
    {%- else -%}
        {#- Checked here, as it is pasted into SQL: a yyyy-mm-dd date or a compile error. -#}
        {%- set day = modules.datetime.datetime.strptime(as_of | string | trim, '%Y-%m-%d') -%}
        cast('{{ day.strftime('%Y-%m-%d') }}' as date)
    {%- endif -%}
{%- endmacro %}
