SELECT foo FROM flows
