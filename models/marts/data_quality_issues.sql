-- What a person should look at in the exports, one row per finding, in seven checks:
-- rows a load rejected (each once, where it was last rejected, until a load takes it: see
-- int_rejected_rows_deduplicated), milestone dates out of catalogue order, skipped
-- milestones (implied by a later one), leads created after the as-of date and the day
-- they were loaded (in no other mart until then), consultants missing from the consultants
-- list, calls and milestones of a lead that no lead export holds, and how fresh each
-- source is.
with

rejected_rows as (

    select * from {{ ref('int_rejected_rows_deduplicated') }}

),

loads as (

    select * from {{ ref('stg_loads') }}

),

milestone_catalogue as (

    select * from {{ ref('stg_milestone_catalogue') }}

),

milestone_events as (

    select * from {{ ref('int_milestone_events_rolled_up') }}

),

staged_milestone_events as (

    select * from {{ ref('stg_milestone_events') }}
    where not is_withdrawn

),

lead_milestones as (

    select * from {{ ref('lead_milestones') }}

),

leads as (

    select * from {{ ref('stg_leads') }}

),

calls as (

    select * from {{ ref('stg_calls') }}

),

calls_per_lead as (

    select * from {{ ref('int_calls_aggregated_per_lead') }}

),

consultants as (

    select * from {{ ref('stg_consultants') }}

),

consultant_names as (

    select * from {{ ref('int_consultant_names') }}

),

rejected_rows_found as (

    select
        'rejected_row' as check_name,
        rejected_rows.kind as source_name,
        rejected_rows.file_name as source_file,
        rejected_rows.load_id,
        rejected_rows.source_row,
        rejected_rows.lead_id,
        cast(null as {{ dbt.type_string() }}) as consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        cast(rejected_rows.finished_at as date) as issue_date,
        rejected_rows.reason as detail,
        1 as rows_affected
    from rejected_rows

),

recorded_milestone_dates as (

    select
        milestone_events.lead_id,
        milestone_events.milestone,
        milestone_events.milestone_order,
        coalesce(
            milestone_events.reached_event_date, milestone_events.scheduled_event_date
        ) as recorded_date
    from milestone_events
    where
        milestone_events.reached_event_date is not null
        or milestone_events.scheduled_event_date is not null

),

earlier_milestones_dated_later as (

    select
        later_milestone.lead_id,
        later_milestone.milestone,
        later_milestone.recorded_date,
        earlier_milestone.milestone as earlier_milestone,
        earlier_milestone.recorded_date as earlier_recorded_date,
        row_number() over (
            partition by later_milestone.lead_id, later_milestone.milestone
            order by
                earlier_milestone.recorded_date desc, earlier_milestone.milestone_order asc
        ) as latest_rank
    from recorded_milestone_dates as later_milestone
    inner join recorded_milestone_dates as earlier_milestone
        on
            later_milestone.lead_id = earlier_milestone.lead_id
            and later_milestone.milestone_order > earlier_milestone.milestone_order
            and later_milestone.recorded_date < earlier_milestone.recorded_date

),

out_of_order_found as (

    select
        'milestone_out_of_order' as check_name,
        'milestone_events' as source_name,
        leads.source_file,
        leads.load_id,
        leads.source_row,
        earlier_milestones_dated_later.lead_id,
        leads.consultant,
        earlier_milestones_dated_later.milestone,
        earlier_milestones_dated_later.recorded_date as issue_date,
        (
            later_catalogue.label || ' on '
            || {{ format_uk_date('earlier_milestones_dated_later.recorded_date') }}
            || ' comes before ' || earlier_catalogue.label || ' on '
            || {{ format_uk_date('earlier_milestones_dated_later.earlier_recorded_date') }}
        ) as detail,
        1 as rows_affected
    from earlier_milestones_dated_later
    inner join milestone_catalogue as later_catalogue
        on earlier_milestones_dated_later.milestone = later_catalogue.milestone
    inner join milestone_catalogue as earlier_catalogue
        on earlier_milestones_dated_later.earlier_milestone = earlier_catalogue.milestone
    left join leads
        on earlier_milestones_dated_later.lead_id = leads.lead_id
    where earlier_milestones_dated_later.latest_rank = 1

),

skipped_found as (

    select
        'skipped_milestone' as check_name,
        'milestone_events' as source_name,
        leads.source_file,
        leads.load_id,
        leads.source_row,
        lead_milestones.lead_id,
        lead_milestones.consultant,
        lead_milestones.milestone,
        lead_milestones.reached_date as issue_date,
        'No date for ' || lead_milestones.milestone_label
        || ': implied by a later milestone' as detail,
        1 as rows_affected
    from lead_milestones
    left join leads
        on lead_milestones.lead_id = leads.lead_id
    where lead_milestones.is_implied

),

created_after_as_of_found as (

    -- A lead created after the as-of date is in no mart until then. Created after the
    -- day its export was loaded too, it is a typo (the year typed ahead, or a date written
    -- month first read day first): say so, as nothing else does. (Not the leads created
    -- since a past as-of date that a replay leaves out as it should.)
    select
        'lead_created_after_as_of' as check_name,
        'leads' as source_name,
        leads.source_file,
        leads.load_id,
        leads.source_row,
        leads.lead_id,
        leads.consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        leads.created_date as issue_date,
        'Created on ' || {{ format_uk_date('leads.created_date') }} || ', after '
        || {{ format_uk_date(as_of_date()) }}
        || ': in no count until then; if the date is a typo (the year, or a date written'
        || ' month first), correct it' as detail,
        1 as rows_affected
    from leads
    where
        leads.created_date > {{ as_of_date() }}
        and leads.created_date > leads.loaded_date

),

consultants_named as (

    select
        'leads' as source_name,
        leads.consultant_key,
        count(*) as rows_affected
    from leads
    where leads.consultant_key is not null
    group by leads.consultant_key

    union all

    select
        'calls' as source_name,
        calls.consultant_key,
        count(*) as rows_affected
    from calls
    where calls.consultant_key is not null
    group by calls.consultant_key

),

unknown_consultants_found as (

    select
        'unknown_consultant' as check_name,
        consultants_named.source_name,
        cast(null as {{ dbt.type_string() }}) as source_file,
        cast(null as {{ dbt.type_int() }}) as load_id,
        cast(null as {{ dbt.type_int() }}) as source_row,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        consultant_names.consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        cast(null as date) as issue_date,
        consultant_names.consultant || ' is on '
        || cast(consultants_named.rows_affected as {{ dbt.type_string() }})
        || ' ' || consultants_named.source_name
        || ' row(s) but not in the consultants list' as detail,
        consultants_named.rows_affected
    from consultants_named
    inner join consultant_names
        on consultants_named.consultant_key = consultant_names.consultant_key
    where not consultant_names.is_listed

),

calls_counted as (

    -- Every staged call of a lead, as the consultants check counts them: those made by the
    -- as-of date, counted per lead already (reading the 10.9M calls of a million leads
    -- again took a second), and the few dated after it.
    select
        calls_per_lead.lead_id,
        calls_per_lead.calls_made as calls
    from calls_per_lead

    union all

    select
        calls.lead_id,
        count(*) as calls
    from calls
    where
        calls.lead_id is not null
        and calls.called_date > {{ as_of_date() }}
    group by calls.lead_id

),

leads_referenced as (

    -- Every staged call and every staged milestone (one per lead, milestone and candidate).
    select
        'calls' as source_name,
        'call(s)' as counted,
        'call log' as export,
        calls_counted.lead_id,
        {{ sum_of_counts('calls_counted.calls') }} as rows_affected
    from calls_counted
    where
        not exists (
            select 1 from leads
            where leads.lead_id = calls_counted.lead_id
        )
    group by calls_counted.lead_id

    union all

    select
        'milestone_events' as source_name,
        'milestone(s)' as counted,
        'milestone export' as export,
        staged_milestone_events.lead_id,
        count(*) as rows_affected
    from staged_milestone_events
    where
        not exists (
            select 1 from leads
            where leads.lead_id = staged_milestone_events.lead_id
        )
    group by staged_milestone_events.lead_id

),

leads_referenced_written as (

    select
        leads_referenced.*,
        {{ lead_id_written_form('leads_referenced.lead_id') }} as written_form
    from leads_referenced

),

leads_written as (

    -- A lead id as a person reads it: the case, spaces and punctuation of `l-102 ` do not
    -- make it another lead than L102 to them, though they do to the exports' joins.
    select
        leads.lead_id,
        {{ lead_id_written_form('leads.lead_id') }} as written_form
    from leads

),

leads_by_written_form as (

    -- The leads an unknown id may be, by the form they share with it: two leads can share
    -- one (L-102 and L102), and both are named.
    select
        leads_written.written_form,
        count(*) as leads_sharing,
        {{ dbt.listagg('leads_written.lead_id', "', '", 'order by leads_written.lead_id') }}
            as lead_ids
    from leads_written
    where
        leads_written.written_form != ''
        and leads_written.written_form in (
            select leads_referenced_written.written_form from leads_referenced_written
        )
    group by leads_written.written_form

),

unknown_lead_rows as (

    -- Where each unknown id is written: its staged calls and milestones.
    select
        'calls' as source_name,
        calls.lead_id,
        calls.load_id,
        calls.source_file,
        calls.source_row
    from calls
    where
        calls.lead_id in (
            select leads_referenced.lead_id from leads_referenced
            where leads_referenced.source_name = 'calls'
        )

    union all

    select
        'milestone_events' as source_name,
        staged_milestone_events.lead_id,
        staged_milestone_events.load_id,
        staged_milestone_events.source_file,
        staged_milestone_events.source_row
    from staged_milestone_events
    where
        staged_milestone_events.lead_id in (
            select leads_referenced.lead_id from leads_referenced
            where leads_referenced.source_name = 'milestone_events'
        )

),

unknown_lead_rows_ranked as (

    -- The row to point at: the first in the latest export that holds the id, the one a
    -- person corrects before the next load.
    select
        *,
        row_number() over (
            partition by source_name, lead_id order by load_id desc, source_row asc
        ) as row_rank
    from unknown_lead_rows

),

unknown_leads_found as (

    select
        'unknown_lead' as check_name,
        leads_referenced_written.source_name,
        unknown_lead_rows_ranked.source_file,
        unknown_lead_rows_ranked.load_id,
        unknown_lead_rows_ranked.source_row,
        leads_referenced_written.lead_id,
        cast(null as {{ dbt.type_string() }}) as consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        cast(null as date) as issue_date,
        leads_referenced_written.lead_id || ' is on '
        || cast(leads_referenced_written.rows_affected as {{ dbt.type_string() }})
        || ' ' || leads_referenced_written.counted || ', but no lead has this id: '
        || case
            when leads_by_written_form.lead_ids is not null
                then 'probably '
                    || case
                        when leads_by_written_form.leads_sharing = 1 then 'lead '
                        else 'one of leads '
                    end
                    || leads_by_written_form.lead_ids
                    || ', written otherwise; correct the id in the '
                    || leads_referenced_written.export || ' so that they count for that lead'
            when leads_referenced_written.written_form
                in ('', 'NA', 'NONE', 'NULL', 'TBA', 'TBC', 'UNKNOWN')
                then 'a placeholder, not a lead id: leave it empty for no lead'
            else 'load the lead (a row of it that a load rejected is under rejected rows)'
        end as detail,
        leads_referenced_written.rows_affected
    from leads_referenced_written
    inner join unknown_lead_rows_ranked
        on
            leads_referenced_written.source_name = unknown_lead_rows_ranked.source_name
            and leads_referenced_written.lead_id = unknown_lead_rows_ranked.lead_id
            and unknown_lead_rows_ranked.row_rank = 1
    left join leads_by_written_form
        on leads_referenced_written.written_form = leads_by_written_form.written_form

),

sources_described as (

    select
        'leads' as source_name,
        max(leads.created_date) as latest_record_date,
        max(leads.loaded_date) as last_loaded_date,
        max(leads.load_id) as load_id,
        count(*) as rows_affected
    from leads

    union all

    select
        'milestone_events' as source_name,
        max(
            case
                when staged_milestone_events.event_date <= {{ as_of_date() }}
                    then staged_milestone_events.event_date
            end
        ) as latest_record_date,
        max(staged_milestone_events.loaded_date) as last_loaded_date,
        max(staged_milestone_events.load_id) as load_id,
        count(*) as rows_affected
    from staged_milestone_events

    union all

    select
        'calls' as source_name,
        max(calls.called_date) as latest_record_date,
        max(calls.loaded_date) as last_loaded_date,
        max(calls.load_id) as load_id,
        count(*) as rows_affected
    from calls

    union all

    select
        'consultants' as source_name,
        cast(null as date) as latest_record_date,
        max(consultants.loaded_date) as last_loaded_date,
        max(consultants.load_id) as load_id,
        count(*) as rows_affected
    from consultants

),

freshness_found as (

    select
        'source_freshness' as check_name,
        sources_described.source_name,
        loads.file_name as source_file,
        sources_described.load_id,
        cast(null as {{ dbt.type_int() }}) as source_row,
        cast(null as {{ dbt.type_string() }}) as lead_id,
        cast(null as {{ dbt.type_string() }}) as consultant,
        cast(null as {{ dbt.type_string() }}) as milestone,
        sources_described.latest_record_date as issue_date,
        case
            when sources_described.latest_record_date is null
                then (
                    'Latest load on '
                    || coalesce(
                        {{ format_uk_date('sources_described.last_loaded_date') }}, 'no date'
                    )
                )
            else 'Newest record dated '
                || {{ format_uk_date('sources_described.latest_record_date') }} || ', '
                || cast(
                    {{ days_between('sources_described.latest_record_date', as_of_date()) }}
                    as {{ dbt.type_string() }}
                )
                || ' day(s) before the as-of date'
        end as detail,
        sources_described.rows_affected
    from sources_described
    left join loads
        on sources_described.load_id = loads.load_id

),

findings_unioned as (

    select * from rejected_rows_found
    union all
    select * from out_of_order_found
    union all
    select * from skipped_found
    union all
    select * from created_after_as_of_found
    union all
    select * from unknown_consultants_found
    union all
    select * from unknown_leads_found
    union all
    select * from freshness_found

),

findings_labelled as (

    select
        check_name,
        case check_name
            when 'rejected_row' then 'Rejected rows'
            when 'milestone_out_of_order' then 'Milestone dates out of order'
            when 'skipped_milestone' then 'Skipped milestones'
            when 'lead_created_after_as_of' then 'Leads created after the as-of date'
            when 'unknown_consultant' then 'Unknown consultants'
            when 'unknown_lead' then 'Unknown leads'
            when 'source_freshness' then 'Source freshness'
        end as check_label,
        source_name,
        source_file,
        load_id,
        source_row,
        lead_id,
        consultant,
        milestone,
        issue_date,
        case
            when check_name = 'source_freshness' and issue_date is not null
                then {{ days_between('issue_date', as_of_date()) }}
        end as days_behind_as_of,
        detail,
        rows_affected
    from findings_unioned

)

select * from findings_labelled
