-- The scale-out profile's databases (tools/scaled.py makes the same ones on a running server).
CREATE DATABASE handoffdesk_tracker;
CREATE DATABASE handoffdesk_handoff;
CREATE DATABASE handoffdesk_events;
