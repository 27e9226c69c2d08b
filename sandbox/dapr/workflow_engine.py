"""A durabletask orchestration engine in memory: what daprd's workflow backend does for budapp's workflows.

An instance is a history of events. Each turn hands a worker the history so far (``pastEvents``) and what
happened since (``newEvents``, led by a ``workflowStarted`` that carries the turn's time); the worker replays
the orchestrator and returns actions, which the engine applies: schedule an activity, create a timer, send an
event, complete (or continue as new). Activity results, fired timers and raised events become the next turn's
new events. One turn per instance is out at a time; what arrives meanwhile waits for the next one.

Work items go to whichever connected worker stream takes them first; when a stream closes, what it had taken
and not completed is handed out again. Timers fire at their time; one further away than ``MAX_TIMER`` stays
pending (budapp's periodic syncs wait days between runs). Instances live as long as the process.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from dapr.ext.workflow._durabletask.internal import history_events_pb2 as history
from dapr.ext.workflow._durabletask.internal import orchestration_pb2 as orchestration
from dapr.ext.workflow._durabletask.internal import orchestrator_actions_pb2 as actions
from dapr.ext.workflow._durabletask.internal import orchestrator_service_pb2 as service
from google.protobuf import timestamp_pb2, wrappers_pb2

log = logging.getLogger("sandbox.dapr.workflows")
MAX_TIMER = datetime.timedelta(hours=1)

RUNNING = orchestration.ORCHESTRATION_STATUS_RUNNING
COMPLETED = orchestration.ORCHESTRATION_STATUS_COMPLETED
CONTINUED_AS_NEW = orchestration.ORCHESTRATION_STATUS_CONTINUED_AS_NEW
FAILED = orchestration.ORCHESTRATION_STATUS_FAILED
CANCELED = orchestration.ORCHESTRATION_STATUS_CANCELED
TERMINATED = orchestration.ORCHESTRATION_STATUS_TERMINATED
PENDING = orchestration.ORCHESTRATION_STATUS_PENDING
SUSPENDED = orchestration.ORCHESTRATION_STATUS_SUSPENDED
TERMINAL = (COMPLETED, FAILED, CANCELED, TERMINATED)


class InstanceNotFound(LookupError):
    """daprd's wording, which the workflow clients look for."""

    def __init__(self, instance_id: str) -> None:
        super().__init__(f"no such instance exists: {instance_id}")


class InstanceExists(Exception):
    pass


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def timestamp(moment: datetime.datetime | None = None) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment or now())
    return stamp


def event(**kind) -> history.HistoryEvent:
    """A history event stamped now; ``eventId`` -1 unless it records an action (then the action's id)."""
    kind.setdefault("eventId", -1)
    return history.HistoryEvent(timestamp=timestamp(), **kind)


def string_value(value: wrappers_pb2.StringValue | None) -> wrappers_pb2.StringValue | None:
    return wrappers_pb2.StringValue(value=value.value) if value is not None else None


@dataclass
class Instance:
    id: str
    name: str
    input: wrappers_pb2.StringValue | None
    execution_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    status: orchestration.OrchestrationStatus.ValueType = PENDING
    created: datetime.datetime = field(default_factory=now)
    updated: datetime.datetime = field(default_factory=now)
    completed: datetime.datetime | None = None
    output: wrappers_pb2.StringValue | None = None
    custom_status: wrappers_pb2.StringValue | None = None
    failure: orchestration.TaskFailureDetails | None = None
    past: list[history.HistoryEvent] = field(default_factory=list)
    inbox: list[history.HistoryEvent] = field(default_factory=list)
    turn: tuple[str, list[history.HistoryEvent]] | None = None  # (completion token, the events handed out)
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.updated = now()
        self.changed.set()
        self.changed = asyncio.Event()

    def started_event(self) -> history.HistoryEvent:
        return event(
            executionStarted=history.ExecutionStartedEvent(
                name=self.name,
                input=string_value(self.input),
                workflowInstance=orchestration.WorkflowInstance(
                    instanceId=self.id, executionId=wrappers_pb2.StringValue(value=self.execution_id)
                ),
            )
        )

    def state(self, with_payloads: bool) -> orchestration.WorkflowState:
        state = orchestration.WorkflowState(
            instanceId=self.id,
            name=self.name,
            workflowStatus=self.status,
            createdTimestamp=timestamp(self.created),
            lastUpdatedTimestamp=timestamp(self.updated),
            executionId=wrappers_pb2.StringValue(value=self.execution_id),
            failureDetails=self.failure,
        )
        if self.completed:
            state.completedTimestamp.CopyFrom(timestamp(self.completed))
        if with_payloads:
            for name, value in (("input", self.input), ("output", self.output), ("customStatus", self.custom_status)):
                if value is not None:
                    getattr(state, name).CopyFrom(value)
        return state


@dataclass
class Outstanding:
    """A work item handed to a worker and not yet completed."""

    item: service.WorkItem
    instance_id: str
    execution_id: str


class WorkflowEngine:
    def __init__(self) -> None:
        self.instances: dict[str, Instance] = {}
        self.work: asyncio.Queue[service.WorkItem] = asyncio.Queue()
        self.outstanding: dict[str, Outstanding] = {}

    # -- client side ---------------------------------------------------------------

    def start(
        self,
        name: str,
        instance_id: str,
        input: wrappers_pb2.StringValue | None,
        start_at: datetime.datetime | None = None,
    ) -> Instance:
        existing = self.instances.get(instance_id)
        if existing is not None and existing.status not in TERMINAL:
            raise InstanceExists(f"an active workflow with ID '{instance_id}' already exists")
        if existing is not None:
            self._cancel_timers(existing)
        instance = Instance(instance_id, name, input)
        instance.inbox.append(instance.started_event())
        self.instances[instance_id] = instance
        delay = (start_at - now()).total_seconds() if start_at else 0
        if delay > 0:
            instance.timers.append(asyncio.get_running_loop().call_later(delay, self._dispatch, instance))
        else:
            self._dispatch(instance)
        return instance

    def get(self, instance_id: str) -> Instance:
        instance = self.instances.get(instance_id)
        if instance is None:
            raise InstanceNotFound(instance_id)
        return instance

    async def wait(self, instance_id: str, done: Callable[[Instance], bool]) -> Instance:
        """Until ``done(instance)``; the caller's deadline bounds the wait."""
        instance = self.get(instance_id)
        while not done(instance):
            changed = instance.changed
            await changed.wait()
            instance = self.get(instance_id)
        return instance

    def raise_event(self, instance_id: str, name: str, input: wrappers_pb2.StringValue | None) -> None:
        instance = self.get(instance_id)
        if instance.status in TERMINAL:
            return
        instance.inbox.append(event(eventRaised=history.EventRaisedEvent(name=name, input=string_value(input))))
        self._dispatch(instance)

    def terminate(self, instance_id: str, output: wrappers_pb2.StringValue | None = None) -> None:
        instance = self.get(instance_id)
        if instance.status in TERMINAL:
            return
        instance.past.append(event(executionTerminated=history.ExecutionTerminatedEvent(input=string_value(output))))
        self._finish(instance, TERMINATED, output, None)

    def suspend(self, instance_id: str) -> None:
        instance = self.get(instance_id)
        if instance.status in (RUNNING, PENDING):
            instance.status = SUSPENDED
            instance.touch()

    def resume(self, instance_id: str) -> None:
        instance = self.get(instance_id)
        if instance.status == SUSPENDED:
            instance.status = RUNNING
            instance.touch()
            self._dispatch(instance)

    def purge(self, instance_id: str) -> int:
        instance = self.instances.get(instance_id)
        if instance is None or instance.status not in TERMINAL:
            return 0
        del self.instances[instance_id]
        return 1

    # -- worker side ---------------------------------------------------------------

    def hand_out(self, item: service.WorkItem) -> None:
        self.work.put_nowait(item)

    def returned(self, tokens: set[str]) -> None:
        """A worker stream closed: hand out again what it took and did not complete."""
        for token in tokens:
            pending = self.outstanding.get(token)
            if pending is not None:
                log.info("work item %s of %s goes to another worker", token, pending.instance_id)
                self.hand_out(pending.item)

    def complete_activity(self, response: service.ActivityResponse) -> None:
        pending = self.outstanding.pop(response.completionToken, None)
        instance = self.instances.get(response.instanceId)
        if pending is None or instance is None or instance.execution_id != pending.execution_id:
            log.info("result of a work item no longer awaited (%s)", response.instanceId)
            return
        if instance.status in TERMINAL:
            return
        if response.HasField("failureDetails"):
            result = event(
                taskFailed=history.TaskFailedEvent(
                    taskScheduledId=response.taskId, failureDetails=response.failureDetails
                )
            )
        else:
            result = event(
                taskCompleted=history.TaskCompletedEvent(
                    taskScheduledId=response.taskId,
                    result=string_value(response.result) if response.HasField("result") else None,
                )
            )
        instance.inbox.append(result)
        self._dispatch(instance)

    def complete_orchestration(self, response: service.WorkflowResponse) -> None:
        pending = self.outstanding.pop(response.completionToken, None)
        instance = self.instances.get(response.instanceId)
        if pending is None or instance is None or instance.turn is None or instance.turn[0] != response.completionToken:
            log.info("orchestrator result no longer awaited (%s)", response.instanceId)
            return
        instance.past.extend(instance.turn[1])
        instance.turn = None
        if response.HasField("customStatus"):
            instance.custom_status = string_value(response.customStatus)
        for action in response.actions:
            if instance.status in TERMINAL or self._apply(instance, action) == "restarted":
                break
        instance.touch()
        self._dispatch(instance)

    # -- internals -----------------------------------------------------------------

    def _dispatch(self, instance: Instance) -> None:
        """Start the instance's next turn, if it has news and no turn is out."""
        if instance.turn is not None or not instance.inbox or instance.status in (*TERMINAL, SUSPENDED):
            return
        if instance.status == PENDING:
            instance.status = RUNNING
            instance.touch()
        new_events = [event(workflowStarted=history.WorkflowStartedEvent()), *instance.inbox]
        instance.inbox = []
        token = uuid.uuid4().hex
        instance.turn = (token, new_events)
        item = service.WorkItem(
            completionToken=token,
            workflowRequest=service.WorkflowRequest(
                instanceId=instance.id,
                executionId=wrappers_pb2.StringValue(value=instance.execution_id),
                pastEvents=instance.past,
                newEvents=new_events,
            ),
        )
        self.outstanding[token] = Outstanding(item, instance.id, instance.execution_id)
        self.hand_out(item)

    def _apply(self, instance: Instance, action: actions.WorkflowAction) -> str | None:
        kind = action.WhichOneof("workflowActionType")
        if kind == "scheduleTask":
            self._schedule_activity(instance, action.id, action.scheduleTask)
        elif kind == "createTimer":
            self._create_timer(instance, action.id, action.createTimer)
        elif kind == "sendEvent":
            send = action.sendEvent
            instance.past.append(
                event(
                    eventId=action.id,
                    eventSent=history.EventSentEvent(
                        instanceId=send.instance.instanceId, name=send.name, input=string_value(send.data)
                    ),
                )
            )
            if send.instance.instanceId in self.instances:
                self.raise_event(send.instance.instanceId, send.name, send.data)
        elif kind == "terminateWorkflow":
            if action.terminateWorkflow.instanceId in self.instances:
                self.terminate(action.terminateWorkflow.instanceId, action.terminateWorkflow.reason)
        elif kind == "completeWorkflow":
            return self._complete(instance, action.completeWorkflow)
        else:
            log.warning("workflow %s asked for %s, which this engine does not run; it fails", instance.id, kind)
            self._finish(
                instance,
                FAILED,
                None,
                orchestration.TaskFailureDetails(
                    errorType="NotSupported", errorMessage=f"the sandbox's workflow engine does not run {kind}"
                ),
            )
        return None

    def _schedule_activity(self, instance: Instance, task_id: int, task: actions.ScheduleTaskAction) -> None:
        instance.past.append(
            event(
                eventId=task_id,
                taskScheduled=history.TaskScheduledEvent(
                    name=task.name,
                    input=string_value(task.input) if task.HasField("input") else None,
                    taskExecutionId=task.taskExecutionId,
                ),
            )
        )
        token = uuid.uuid4().hex
        item = service.WorkItem(
            completionToken=token,
            activityRequest=service.ActivityRequest(
                name=task.name,
                taskId=task_id,
                taskExecutionId=task.taskExecutionId,
                input=task.input if task.HasField("input") else None,
                workflowInstance=orchestration.WorkflowInstance(
                    instanceId=instance.id, executionId=wrappers_pb2.StringValue(value=instance.execution_id)
                ),
            ),
        )
        self.outstanding[token] = Outstanding(item, instance.id, instance.execution_id)
        self.hand_out(item)

    def _create_timer(self, instance: Instance, timer_id: int, timer: actions.CreateTimerAction) -> None:
        created = history.TimerCreatedEvent(fireAt=timer.fireAt)
        origin = timer.WhichOneof("origin")
        if origin:
            getattr(created, origin).CopyFrom(getattr(timer, origin))
        if timer.HasField("name"):
            created.name = timer.name
        instance.past.append(event(eventId=timer_id, timerCreated=created))
        fire_at = timer.fireAt.ToDatetime(tzinfo=datetime.UTC)
        delay = (fire_at - now()).total_seconds()
        if delay > MAX_TIMER.total_seconds():
            log.info("timer of %s at %s is further than %s away: it stays pending", instance.id, fire_at, MAX_TIMER)
            return
        execution = instance.execution_id

        def fire() -> None:
            if instance.execution_id == execution and instance.status not in TERMINAL:
                instance.inbox.append(event(timerFired=history.TimerFiredEvent(fireAt=timer.fireAt, timerId=timer_id)))
                self._dispatch(instance)

        instance.timers.append(asyncio.get_running_loop().call_later(max(delay, 0), fire))

    def _complete(self, instance: Instance, done: actions.CompleteWorkflowAction) -> str | None:
        result = string_value(done.result) if done.HasField("result") else None
        if done.workflowStatus == CONTINUED_AS_NEW:
            self._cancel_timers(instance)
            self._forget_work(instance)
            instance.execution_id = uuid.uuid4().hex
            instance.input, instance.past, instance.output, instance.failure = result, [], None, None
            instance.inbox = [instance.started_event(), *done.carryoverEvents]
            return "restarted"
        instance.past.append(
            event(
                executionCompleted=history.ExecutionCompletedEvent(
                    workflowStatus=done.workflowStatus,
                    result=result,
                    failureDetails=done.failureDetails if done.HasField("failureDetails") else None,
                )
            )
        )
        self._finish(
            instance, done.workflowStatus, result, done.failureDetails if done.HasField("failureDetails") else None
        )
        return None

    def _finish(
        self,
        instance: Instance,
        status: orchestration.OrchestrationStatus.ValueType,
        output: wrappers_pb2.StringValue | None,
        failure: orchestration.TaskFailureDetails | None,
    ) -> None:
        instance.status, instance.output, instance.failure = status, output, failure
        instance.completed = now()
        instance.inbox = []
        self._cancel_timers(instance)
        self._forget_work(instance)
        instance.turn = None
        instance.touch()
        log.log(
            logging.WARNING if status == FAILED else logging.INFO,
            "workflow %s (%s) ended %s%s",
            instance.id,
            instance.name,
            orchestration.OrchestrationStatus.Name(status),
            f": {failure.errorMessage}" if failure else "",
        )

    def _cancel_timers(self, instance: Instance) -> None:
        for handle in instance.timers:
            handle.cancel()
        instance.timers = []

    def _forget_work(self, instance: Instance) -> None:
        """Results still due for this execution are no longer awaited."""
        for token in [t for t, o in self.outstanding.items() if o.instance_id == instance.id]:
            del self.outstanding[token]
