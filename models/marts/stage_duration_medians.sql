-- Days from the previous milestone (measured durations only, as in stage_durations), summed
-- up once per build for the Consultants page at four grains: per consultant over every
-- stage, per team over every stage, per team and milestone, and per team, consultant and
-- milestone. The team is the lead's; the consultant is the milestone's (the lead's owner).
{%- set grains = {
    'consultant': ['consultant'],
    'team': ['team'],
    'team_milestone': ['team', 'milestone'],
    'team_consultant_milestone': ['team', 'consultant', 'milestone'],
} %}

with

lead_milestones as (

    select * from {{ ref('lead_milestones') }}

),

leads as (

    select * from {{ ref('leads') }}

),

measured_durations as (

    select
        leads.team,
        lead_milestones.consultant,
        lead_milestones.milestone,
        lead_milestones.days_since_previous
    from lead_milestones
    inner join leads
        on lead_milestones.lead_id = leads.lead_id
    where lead_milestones.is_duration_measured

),

grains_unioned as (
    {% for grain, keys in grains.items() %}
        select
            '{{ grain }}' as grain,
            {%- for column in ['team', 'consultant', 'milestone'] %}
                {% if column in keys -%}
                    {{ column }}
                {%- else -%}
                    cast(null as {{ dbt.type_string() }})
                {%- endif %} as {{ column }},
            {%- endfor %}
            count(*) as leads,
            {{ percentile_cont('days_since_previous', 0.5) }} as median_days,
            {{ percentile_cont('days_since_previous', 0.8) }} as p80_days
        from measured_durations
        group by {{ keys | join(', ') }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from grains_unioned
