{#-
    How a consultant's name is matched across exports: case and spacing do not count
    ("priya  SHAH " is Priya Shah). The spelling people see is `int_consultant_names`'.
-#}
{% macro consultant_key(column) -%}
    lower({{ consultant_spelling(column) }})
{%- endmacro %}

{#-
    A name as written, trimmed and with runs of spaces made one: any space, the no-break ones
    text pasted from a mail or a web page brings too (written out: `\s` takes none of them in
    DuckDB, and depends on the locale in PostgreSQL).
-#}
{% macro consultant_spelling(column) -%}
    regexp_replace(trim({{ column }}), '[[:space:]    ]+', ' ', 'g')
{%- endmacro %}
