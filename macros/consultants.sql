{#-
    How a consultant's name is matched across exports: case and spacing do not count
    ("priya  SHAH " is Priya Shah). The spelling people see is `int_consultant_names`'.
-#}
{% macro consultant_key(column) -%}
    lower({{ consultant_spelling(column) }})
{%- endmacro %}

{#- A name as written, trimmed and with runs of spaces made one. -#}
{% macro consultant_spelling(column) -%}
    regexp_replace(trim({{ column }}), '\s+', ' ', 'g')
{%- endmacro %}
