// Observability: the alarms topics, the alarms, the dashboard, and the catalogue of metrics they may name.
export * from "./awsMetricCatalog";
export * from "./metricDefinitions";
export * from "./watchedPipeline";
export * from "./alarmTopic";
export * from "./pipelineAlarms";
export * from "./costEstimate";
export * from "./dashboard";
export * from "./observability";
