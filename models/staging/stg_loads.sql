with

source as (

    select * from {{ source('raw', 'loads') }}

),

renamed as (

    select
        load_id,
        file_name,
        file_sha256,
        kind,
        sheet,
        mapping,
        rows_read,
        rows_loaded,
        rows_rejected,
        rows_skipped,
        started_at,
        finished_at,
        lower(status) as status
    from source

)

select * from renamed
