{#-
    A lead id as a person reads it, to point out an export that writes a known lead's id
    otherwise (`l-102 ` for L102): in capitals, without spaces or punctuation. Leads are
    still matched on the id as written; this only names the likely one in
    data_quality_issues.
-#}
{% macro lead_id_written_form(column) -%}
    regexp_replace(upper({{ column }}), '[[:space:][:punct:]]', '', 'g')
{%- endmacro %}
