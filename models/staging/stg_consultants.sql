with

source as (

    select * from {{ source('raw', 'consultants') }}

),

versions_ranked as (

    select
        *,
        row_number() over (
            partition by trim(consultant)
            order by _load_id desc, _source_row desc
        ) as version_rank
    from source

),

latest_versions as (

    select * from versions_ranked
    where version_rank = 1

),

renamed as (

    select
        trim(consultant) as consultant,
        nullif(trim(team), '') as team,
        nullif(trim(manager), '') as manager,
        nullif(trim(email), '') as email,
        _load_id as load_id,
        _source_file as source_file,
        _source_row as source_row,
        cast(_loaded_at as date) as loaded_date
    from latest_versions

)

select * from renamed
