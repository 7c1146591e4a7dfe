import { defineMeasurement } from '../measurement.js';

/** What the snmp collector writes. The device tag is the name given in the collector's config. */
export const snmpDevice = defineMeasurement({
  name: 'snmp_device',
  description: 'One SNMP device (switch, router, UPS, sensor box): reachability and identity.',
  writers: ['poller'],
  tags: ['device'],
  fields: {
    up: { type: 'boolean', description: 'the device answered this poll' },
    sys_uptime_s: {
      type: 'integer',
      description: 'sysUpTime in seconds (agent uptime, 32-bit: wraps after 497 days)',
    },
    sys_name: { type: 'string', description: 'sysName' },
    sys_descr: { type: 'string', description: 'sysDescr' },
    sys_object_id: { type: 'string', description: 'sysObjectID, dotted' },
    serial: {
      type: 'string',
      description: "chassis serial (ENTITY-MIB, or a vendor MIB: the profile's serial OID or module)",
    },
    model: { type: 'string', description: 'model, from a vendor MIB where ENTITY-MIB has none' },
    profile: { type: 'string', description: 'name of the SNMP profile the device was polled with' },
    rebooted: {
      type: 'boolean',
      description: 'sysUpTime went backwards since the previous poll (a reboot or agent restart)',
    },
  },
});

export const snmpInterface = defineMeasurement({
  name: 'snmp_interface',
  description: 'One interface of an SNMP device (IF-MIB ifTable + ifXTable).',
  writers: ['poller'],
  tags: ['device', 'if_index', 'if_name'],
  fields: {
    oper_up: { type: 'boolean', description: 'ifOperStatus = up(1)' },
    admin_up: { type: 'boolean', description: 'ifAdminStatus = up(1)' },
    oper_status: {
      type: 'integer',
      description:
        'ifOperStatus: 1 up, 2 down, 3 testing, 4 unknown, 5 dormant, 6 notPresent, 7 lowerLayerDown',
    },
    speed_bps: {
      type: 'integer',
      description: 'ifHighSpeed × 10⁶ when ifSpeed saturates or is absent, else ifSpeed',
    },
    in_octets: {
      type: 'integer',
      bigint: true,
      description: 'received octets counter (64-bit HC when the device has it); beyond 2^53 sent as digits',
    },
    out_octets: {
      type: 'integer',
      bigint: true,
      description: 'sent octets counter (64-bit HC when the device has it); beyond 2^53 sent as digits',
    },
    in_bps: {
      type: 'float',
      description: 'receive rate over the last poll interval, bits/s (absent after a reset)',
    },
    out_bps: {
      type: 'float',
      description: 'send rate over the last poll interval, bits/s (absent after a reset)',
    },
    in_errors: { type: 'integer', description: 'ifInErrors counter' },
    out_errors: { type: 'integer', description: 'ifOutErrors counter' },
    in_discards: { type: 'integer', description: 'ifInDiscards counter' },
    out_discards: { type: 'integer', description: 'ifOutDiscards counter' },
    counter_bits: {
      type: 'integer',
      description: 'width of the octet counters used: 64 (ifHC*) or 32 (ifTable)',
    },
    if_alias: { type: 'string', description: 'ifAlias, the description an operator gave the port' },
    if_descr: { type: 'string', description: 'ifDescr' },
  },
});

export const snmpEntity = defineMeasurement({
  name: 'snmp_entity',
  description: 'A physical part of an SNMP device (ENTITY-MIB entPhysicalTable): chassis, module, PSU, fan.',
  writers: ['poller'],
  tags: ['device', 'ent_index', 'class'],
  fields: {
    name: { type: 'string', description: 'entPhysicalName' },
    descr: { type: 'string', description: 'entPhysicalDescr' },
    model: { type: 'string', description: 'entPhysicalModelName' },
    serial: { type: 'string', description: 'entPhysicalSerialNum' },
    manufacturer: { type: 'string', description: 'entPhysicalMfgName' },
    hardware_rev: { type: 'string', description: 'entPhysicalHardwareRev' },
    firmware_rev: { type: 'string', description: 'entPhysicalFirmwareRev' },
    software_rev: { type: 'string', description: 'entPhysicalSoftwareRev' },
    parent_index: { type: 'integer', description: 'entPhysicalContainedIn (0: not contained)' },
    is_fru: { type: 'boolean', description: 'entPhysicalIsFRU: field-replaceable' },
  },
});

export const ups = defineMeasurement({
  name: 'ups',
  description:
    'A UPS read over UPS-MIB (RFC 1628) and/or its vendor MIB (APC PowerNet, Eaton XUPS). A field the UPS does not implement is absent.',
  writers: ['poller'],
  tags: ['device'],
  fields: {
    battery_status: {
      type: 'integer',
      description: 'upsBatteryStatus: 1 unknown, 2 normal, 3 low, 4 depleted',
    },
    battery_status_text: {
      type: 'string',
      description: 'battery_status as a word (unknown, normal, low, depleted)',
      values: ['unknown', 'normal', 'low', 'depleted'],
    },
    on_battery: {
      type: 'boolean',
      description: 'output source is battery (or, without it, seconds on battery > 0)',
    },
    seconds_on_battery: { type: 'integer', description: 'upsSecondsOnBattery (0 on mains)' },
    minutes_remaining: { type: 'integer', description: 'upsEstimatedMinutesRemaining' },
    charge_percent: { type: 'integer', description: 'upsEstimatedChargeRemaining, %' },
    load_percent: { type: 'integer', description: 'highest upsOutputPercentLoad over the output lines, %' },
    output_source: {
      type: 'integer',
      description: 'upsOutputSource: 1 other, 2 none, 3 normal, 4 bypass, 5 battery, 6 booster, 7 reducer',
    },
    output_source_text: {
      type: 'string',
      description: 'output_source as a word',
      values: ['other', 'none', 'normal', 'bypass', 'battery', 'booster', 'reducer'],
    },
    output_power_w: { type: 'integer', description: 'sum of upsOutputPower over the output lines, W' },
    input_voltage: { type: 'integer', description: 'lowest upsInputVoltage over the input lines, V' },
    battery_temperature_c: { type: 'integer', description: 'upsBatteryTemperature, °C' },
    alarms_present: { type: 'integer', description: 'upsAlarmsPresent: active alarms' },
    replace_battery: {
      type: 'boolean',
      description: 'the UPS asks for its battery to be replaced (APC upsAdvBatteryReplaceIndicator)',
    },
    output_voltage: { type: 'integer', description: 'output voltage, V (lowest output line)' },
    output_current_a: { type: 'float', description: 'output current, A' },
    input_frequency_hz: { type: 'float', description: 'input frequency, Hz' },
  },
});

export const pdu = defineMeasurement({
  name: 'pdu',
  description:
    'A rack PDU (APC PowerNet rPDU): current per phase and per outlet bank, the evidence for dual-corded racks (TIA-942); the device-wide point has no phase/bank tags.',
  writers: ['poller'],
  tags: ['device', 'phase', 'bank'],
  fields: {
    current_a: { type: 'float', description: 'current drawn on this phase or bank, A' },
    load_state: {
      type: 'integer',
      description: 'rPDULoadStatusLoadState: 1 normal, 2 low, 3 near overload, 4 overload',
    },
    power_w: { type: 'integer', description: 'power drawn by the whole PDU, W' },
  },
});

export const snmpSensor = defineMeasurement({
  name: 'snmp_sensor',
  description:
    'One ENTITY-SENSOR-MIB (RFC 3433) sensor of any type (volts, amperes, watts, hertz, celsius, %RH, rpm, cmm, truth value, dBm), scale and precision applied.',
  writers: ['poller'],
  tags: ['device', 'ent_index', 'sensor', 'type'],
  tagValues: {
    type: [
      'other',
      'unknown',
      'volts_ac',
      'volts_dc',
      'amperes',
      'watts',
      'hertz',
      'celsius',
      'percent_rh',
      'rpm',
      'cmm',
      'truthvalue',
      'dbm',
    ],
  },
  fields: {
    value: {
      type: 'float',
      description:
        'the reading in the unit of the type tag (volts_ac, volts_dc, amperes, watts, hertz, celsius, percent_rh, rpm, cmm, truthvalue 1 true 2 false, dbm, other)',
    },
    oper_status: {
      type: 'integer',
      description: 'entPhySensorOperStatus: 1 ok, 2 unavailable, 3 nonoperational (no value then)',
    },
    units_display: { type: 'string', description: 'entPhySensorUnitsDisplay, as the device shows the unit' },
  },
});

export const environment = defineMeasurement({
  name: 'environment',
  description:
    'One environment probe or contact: temperature and humidity (ENTITY-SENSOR-MIB, RFC 3433, scale and precision applied, or a vendor probe MIB), and leak, smoke, door and dry-contact states.',
  writers: ['poller'],
  tags: ['device', 'sensor', 'zone'],
  fields: {
    temperature_c: { type: 'float', description: 'temperature, °C' },
    humidity_percent: { type: 'float', description: 'relative humidity, %' },
    dew_point_c: {
      type: 'float',
      description: 'dew point from temperature and humidity (Magnus formula), °C',
    },
    leak: { type: 'boolean', description: 'a leak (water) sensor detects water' },
    smoke: { type: 'boolean', description: 'a smoke sensor detects smoke' },
    door_open: { type: 'boolean', description: 'a door switch reports the door open' },
    contact_alarm: {
      type: 'boolean',
      description: 'a dry contact is out of its normal state (what it means is in its sensor name)',
    },
  },
});

export const snmpPoll = defineMeasurement({
  name: 'snmp_poll',
  description: 'How one poll of one SNMP device went, so a slow or dead device is named.',
  writers: ['poller'],
  tags: ['device'],
  fields: {
    success: { type: 'boolean', description: 'every request of the poll was answered' },
    duration_ms: { type: 'float', description: 'wall time of the poll' },
    error: { type: 'string', description: 'what went wrong ("" on success)' },
    warning: {
      type: 'string',
      description:
        'what answered but yielded nothing, e.g. a profile none of whose modules the device answers ("" when all is well)',
    },
    oids: { type: 'integer', description: 'varbinds received' },
  },
});
