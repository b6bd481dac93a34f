-- Each rejected row once, where it was last rejected, and only while no later load took it:
-- a team that exports its whole tracker every week has its bad rows rejected once a week,
-- and the quality report is what to fix in the exports, not the history of the loads.
with

rejected_rows as (

    select * from {{ ref('stg_rejected_rows') }}

),

loads as (

    select * from {{ ref('stg_loads') }}

),

leads as (

    select * from {{ ref('stg_leads') }}

),

rejected_rows_read as (

    select
        rejected_rows.load_id,
        rejected_rows.source_row,
        rejected_rows.reason,
        rejected_rows.record,
        loads.kind,
        loads.file_name,
        loads.finished_at,
        {{ rejected_record_lead_id('rejected_rows.record') }} as lead_id
    from rejected_rows
    left join loads
        on rejected_rows.load_id = loads.load_id

),

rejected_rows_identified as (

    -- The same row in another load: in an export of leads (one row per lead), the same
    -- lead, whatever else its cells say; otherwise, or without a lead id, the same cells.
    select
        *,
        kind in ('tracker', 'leads') and lead_id is not null as is_lead_row
    from rejected_rows_read

),

rejected_rows_ranked as (

    select
        *,
        -- Every row of the latest load holding it (a file can repeat a row), so rank.
        rank() over (
            partition by
                kind,
                is_lead_row,
                case when is_lead_row then lead_id else record end
            order by load_id desc
        ) as load_rank
    from rejected_rows_identified

),

rejected_rows_latest as (

    select
        rejected_rows_ranked.load_id,
        rejected_rows_ranked.source_row,
        rejected_rows_ranked.reason,
        rejected_rows_ranked.record,
        rejected_rows_ranked.kind,
        rejected_rows_ranked.file_name,
        rejected_rows_ranked.finished_at,
        rejected_rows_ranked.lead_id,
        rejected_rows_ranked.is_lead_row
    from rejected_rows_ranked
    where rejected_rows_ranked.load_rank = 1

),

rejected_rows_not_fixed as (

    -- A lead's row that a later load took (its latest staged version came after) was fixed.
    select rejected_rows_latest.*
    from rejected_rows_latest
    where
        not rejected_rows_latest.is_lead_row
        or not exists (
            select 1 from leads
            where
                leads.lead_id = rejected_rows_latest.lead_id
                and leads.load_id > rejected_rows_latest.load_id
        )

)

select * from rejected_rows_not_fixed
