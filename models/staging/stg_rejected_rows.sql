with

source as (

    select * from {{ source('raw', 'rejected_rows') }}

),

renamed as (

    select
        load_id,
        source_row,
        reason,
        record
    from source

)

select * from renamed
