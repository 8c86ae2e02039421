from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StatusCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATUS_CODE_UNSET: _ClassVar[StatusCode]
    STATUS_CODE_OK: _ClassVar[StatusCode]
    STATUS_CODE_ERROR: _ClassVar[StatusCode]
STATUS_CODE_UNSET: StatusCode
STATUS_CODE_OK: StatusCode
STATUS_CODE_ERROR: StatusCode

class DecodedSpan(_message.Message):
    __slots__ = ("trace_id", "span_id", "parent_span_id", "name", "span_kind", "start_time_unix_nano", "end_time_unix_nano", "status_code", "status_message", "attributes_json", "events_json", "session_id", "user_id", "llm_token_count_prompt", "llm_token_count_completion", "cost_total_usd", "llm_token_count_total", "cost_prompt_usd", "cost_completion_usd", "model_name", "provider")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SPAN_KIND_FIELD_NUMBER: _ClassVar[int]
    START_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    END_TIME_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_JSON_FIELD_NUMBER: _ClassVar[int]
    EVENTS_JSON_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    LLM_TOKEN_COUNT_PROMPT_FIELD_NUMBER: _ClassVar[int]
    LLM_TOKEN_COUNT_COMPLETION_FIELD_NUMBER: _ClassVar[int]
    COST_TOTAL_USD_FIELD_NUMBER: _ClassVar[int]
    LLM_TOKEN_COUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    COST_PROMPT_USD_FIELD_NUMBER: _ClassVar[int]
    COST_COMPLETION_USD_FIELD_NUMBER: _ClassVar[int]
    MODEL_NAME_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    span_kind: str
    start_time_unix_nano: int
    end_time_unix_nano: int
    status_code: StatusCode
    status_message: str
    attributes_json: bytes
    events_json: bytes
    session_id: str
    user_id: str
    llm_token_count_prompt: int
    llm_token_count_completion: int
    cost_total_usd: float
    llm_token_count_total: int
    cost_prompt_usd: float
    cost_completion_usd: float
    model_name: str
    provider: str
    def __init__(self, trace_id: _Optional[str] = ..., span_id: _Optional[str] = ..., parent_span_id: _Optional[str] = ..., name: _Optional[str] = ..., span_kind: _Optional[str] = ..., start_time_unix_nano: _Optional[int] = ..., end_time_unix_nano: _Optional[int] = ..., status_code: _Optional[_Union[StatusCode, str]] = ..., status_message: _Optional[str] = ..., attributes_json: _Optional[bytes] = ..., events_json: _Optional[bytes] = ..., session_id: _Optional[str] = ..., user_id: _Optional[str] = ..., llm_token_count_prompt: _Optional[int] = ..., llm_token_count_completion: _Optional[int] = ..., cost_total_usd: _Optional[float] = ..., llm_token_count_total: _Optional[int] = ..., cost_prompt_usd: _Optional[float] = ..., cost_completion_usd: _Optional[float] = ..., model_name: _Optional[str] = ..., provider: _Optional[str] = ...) -> None: ...

class DecodedSpanBatch(_message.Message):
    __slots__ = ("batch_id", "project_name", "received_at_unix_nano", "spans")
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_AT_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    batch_id: str
    project_name: str
    received_at_unix_nano: int
    spans: _containers.RepeatedCompositeFieldContainer[DecodedSpan]
    def __init__(self, batch_id: _Optional[str] = ..., project_name: _Optional[str] = ..., received_at_unix_nano: _Optional[int] = ..., spans: _Optional[_Iterable[_Union[DecodedSpan, _Mapping]]] = ...) -> None: ...

class StoredSpan(_message.Message):
    __slots__ = ("trace_id", "span_id", "span_kind")
    TRACE_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_ID_FIELD_NUMBER: _ClassVar[int]
    SPAN_KIND_FIELD_NUMBER: _ClassVar[int]
    trace_id: str
    span_id: str
    span_kind: str
    def __init__(self, trace_id: _Optional[str] = ..., span_id: _Optional[str] = ..., span_kind: _Optional[str] = ...) -> None: ...

class SpansStored(_message.Message):
    __slots__ = ("project_name", "stored_at_unix_nano", "spans", "may_repeat")
    PROJECT_NAME_FIELD_NUMBER: _ClassVar[int]
    STORED_AT_UNIX_NANO_FIELD_NUMBER: _ClassVar[int]
    SPANS_FIELD_NUMBER: _ClassVar[int]
    MAY_REPEAT_FIELD_NUMBER: _ClassVar[int]
    project_name: str
    stored_at_unix_nano: int
    spans: _containers.RepeatedCompositeFieldContainer[StoredSpan]
    may_repeat: bool
    def __init__(self, project_name: _Optional[str] = ..., stored_at_unix_nano: _Optional[int] = ..., spans: _Optional[_Iterable[_Union[StoredSpan, _Mapping]]] = ..., may_repeat: _Optional[bool] = ...) -> None: ...
