"""REFERENCE IMPLEMENTATIONS of the other departments' systems for the discharge bundle: not their real systems.

Each (public security, human resources and social security, medical insurance, the party
organisation, the armed forces) follows only its own matters on bundle.events with its own
RabbitMQ user, reads the fields it is entitled to through the gateway with its own token
(audited), acknowledges, and answers after a configurable delay, refusing a configurable share.
`make up` runs one per department (VETLIFE_REFERENCE_DEPARTMENTS=0 turns them off); a
department's developer reads `reference.py` to see exactly what to build (README.md here).
"""
