{#- Generic data tests written here because the dbt package hub is out of reach. -#}

{#-
    Rows where the expression is not true fail the test. The expression is a whole boolean
    SQL expression; on a column the test ignores column_name (name the column in it).
-#}
{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
    select *
    from {{ model }}
    where not ({{ expression }})
    {%- if where_clause %}
        and ({{ where_clause }})
    {%- endif %}
{% endtest %}

{#- Each combination of the columns occurs at most once; nulls count as a value. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
