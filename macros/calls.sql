{#-
    A call logged with its id and again in a log without ids (a phone system's export beside
    a consultant's own sheet) is one call: the derived-id copy (its consultant, time and lead
    those of a call with an id) is dropped, whichever was loaded first (stg_calls' post-hook).
-#}
{% macro drop_calls_also_logged_with_an_id() -%}
    delete from {{ this }} as derived
    where
        derived.is_call_id_derived
        and exists (
            select 1 from {{ this }} as logged
            where
                not logged.is_call_id_derived
                and logged.consultant_key = derived.consultant_key
                and logged.called_at = derived.called_at
                and logged.lead_id is not distinct from derived.lead_id
        )
{%- endmacro %}
