{#-
    A header as ingest matches it to a field (ingest.catalogue.normalise_name): lower case,
    without spaces or punctuation, `%`, `&` and `#` read as words.
-#}
{% macro header_name_normalised(column) -%}
    regexp_replace(
        lower(
            replace(replace(replace({{ column }}, '%', ' percent '), '&', ' and '), '#', ' number ')
        ),
        '[^0-9a-z]+', '', 'g'
    )
{%- endmacro %}

{#-
    The headers ingest reads as a lead's id, normalised: the lead_id field's name, label and
    aliases in ingest/contracts.py (tests/test_dbt_models.py checks the two agree).
-#}
{% macro lead_id_header_names() -%}
    (
        'dealid', 'jobref', 'lead', 'leadid', 'leadnumber', 'leadref', 'opportunityid', 'ref',
        'reference', 'vacancyref'
    )
{%- endmacro %}

{#-
    The lead id a rejected row's record holds, as the file wrote it (trimmed): the cell under
    a header ingest reads as the lead id. Null when there is none, when the cell is empty,
    and for a line the reader could not split (its record is the line's text, not JSON).
-#}
{% macro rejected_record_lead_id(record) -%}
    {{ return(adapter.dispatch('rejected_record_lead_id', 'leadtrack')(record)) }}
{%- endmacro %}

{% macro default__rejected_record_lead_id(record) -%}
    (
        select nullif(min(trim(record_cells.value)), '')
        from json_each_text(
            case
                when left({{ record }}, 1) = '{' and right({{ record }}, 1) = '}'
                    then cast({{ record }} as json)
                else cast('{}' as json)
            end
        ) as record_cells
        where {{ header_name_normalised('record_cells.key') }} in {{ lead_id_header_names() }}
    )
{%- endmacro %}

{% macro duckdb__rejected_record_lead_id(record) -%}
    (
        select nullif(min(trim(record_cells.value ->> '$')), '')
        from json_each(
            case
                when json_valid({{ record }}) and json_type({{ record }}) = 'OBJECT'
                    then {{ record }}
                else '{}'
            end
        ) as record_cells
        where {{ header_name_normalised('record_cells.key') }} in {{ lead_id_header_names() }}
    )
{%- endmacro %}
