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

{#-
    Every row-level rule of one model in one test: one node and one query where a test per
    column and rule would cost a node each (dbt's fixed cost per node dominates small builds).
    not_null: columns that must not be null. accepted_values: column -> the values it may take
    (nulls pass, as in dbt's accepted_values). expressions: boolean SQL expressions every row
    must satisfy (rows where one is null pass, as in expression_is_true). unique: lists of
    columns whose combination occurs at most once (nulls count as a value). Returns one row per
    broken rule, with how many rows break it.
-#}
{% test model_checks(model, not_null=[], accepted_values={}, expressions=[], unique=[]) %}
    {%- set checks = [] -%}
    {%- for column in not_null -%}
        {%- do checks.append((column ~ ' is not null', 'not (' ~ column ~ ' is not null)')) -%}
    {%- endfor -%}
    {%- for column, values in accepted_values.items() -%}
        {%- set quoted = [] -%}
        {%- for value in values -%}
            {%- do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") -%}
        {%- endfor -%}
        {%- set accepted = column ~ ' in (' ~ quoted | join(', ') ~ ')' -%}
        {%- do checks.append((accepted, 'not (' ~ accepted ~ ')')) -%}
    {%- endfor -%}
    {%- for expression in expressions -%}
        {%- do checks.append((expression | trim, 'not (' ~ expression | trim ~ ')')) -%}
    {%- endfor %}
    with

    checked as (

        {%- for description, broken in checks %}
        select
            '{{ description | replace("'", "''") }}' as rule,
            count(*) as failing_rows
        from {{ model }}
        where {{ broken }}
        {%- if not loop.last or unique %}
        union all
        {%- endif %}
        {%- endfor %}
        {%- for columns in unique %}
        select
            'unique ({{ columns | join(', ') }})' as rule,
            count(*) as failing_rows
        from (
            select {{ columns | join(', ') }}
            from {{ model }}
            group by {{ columns | join(', ') }}
            having count(*) > 1
        ) as duplicated
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}

    )

    select * from checked
    where failing_rows > 0
{% endtest %}
