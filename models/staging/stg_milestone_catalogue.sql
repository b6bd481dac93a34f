with

source as (

    select * from {{ source('raw', 'milestone_catalogue') }}

),

latest_load as (

    -- The catalogue is loaded whole each time: the latest load replaces the previous one.
    select max(_load_id) as load_id from source

),

latest_catalogue as (

    select source.*
    from source
    inner join latest_load
        on source._load_id = latest_load.load_id

),

renamed as (

    select
        milestone_order,
        lower(trim(milestone)) as milestone,
        label,
        is_decision_point,
        aliases,
        quiet_after_days,
        needs_confirmation,
        is_filled,
        nullif(trim(call_on_day), '') as call_on_day,
        nullif(trim(follow_up_call), '') as follow_up_call,
        follow_up_after_days,
        _load_id as load_id,
        _source_file as source_file
    from latest_catalogue

),

final_milestone_flagged as (

    select
        *,
        milestone_order = max(milestone_order) over () as is_final
    from renamed

)

select * from final_milestone_flagged
