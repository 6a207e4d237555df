import { describe, expect, it } from 'vitest';
import { eventsOf, expectRefusal, readWith } from '../support/input-source.js';

const preset = { preset: 'oip-v2' };

const request = {
  id: 'req-1',
  inputs: [
    { name: 'age', shape: [2], datatype: 'INT32', data: [31, 45] },
    { name: 'x', shape: [2, 2], datatype: 'FP32', data: [0.5, 1.5, 2.5, 3.5] },
    { name: 'country', shape: [2, 1], datatype: 'BYTES', data: [['DE'], ['FR']] },
  ],
};
const response = {
  model_name: 'iris',
  model_version: '2',
  id: 'req-1',
  outputs: [
    {
      name: 'proba',
      shape: [2, 2],
      datatype: 'FP64',
      data: [
        [0.9, 0.1],
        [0.2, 0.8],
      ],
    },
  ],
};
const pair = { request, response, timestamp: '2026-01-01T00:00:00Z' };
const at = Date.parse('2026-01-01T00:00:00Z');

describe('Open Inference Protocol (V2) preset', () => {
  it('makes one event per row of a request/response pair', () => {
    expect(eventsOf(readWith(preset, pair))).toEqual([
      {
        model: 'iris',
        model_version: '2',
        timestamp: at,
        id: 'req-1',
        features: { age: 31, x_0: 0.5, x_1: 1.5, country: 'DE' },
        prediction: { proba_0: 0.9, proba_1: 0.1 },
      },
      {
        model: 'iris',
        model_version: '2',
        timestamp: at,
        id: 'req-1',
        features: { age: 45, x_0: 2.5, x_1: 3.5, country: 'FR' },
        prediction: { proba_0: 0.2, proba_1: 0.8 },
      },
    ]);
  });

  it('names columns from oip.featureNames and picks the prediction output by name', () => {
    const mapping = {
      ...preset,
      oip: { featureNames: { x: ['petal_length', 'petal_width'] }, prediction: 'label' },
    };
    const outputs = [
      ...response.outputs,
      { name: 'label', shape: [2], datatype: 'BYTES', data: ['setosa', 'virginica'] },
    ];
    const [first] = eventsOf(readWith(mapping, { ...pair, response: { ...response, outputs } }));
    expect(first?.features).toEqual({
      age: 31,
      petal_length: 0.5,
      petal_width: 1.5,
      country: 'DE',
    });
    expect(first?.prediction).toBe('setosa');
  });

  it('reads a response alone (prediction only) and a request alone (features only)', () => {
    const responses = eventsOf(readWith(preset, response, { timestamp: 1_000 }));
    expect(responses.map((e) => [e.prediction, e.features, e.timestamp])).toEqual([
      [{ proba_0: 0.9, proba_1: 0.1 }, {}, 1_000],
      [{ proba_0: 0.2, proba_1: 0.8 }, {}, 1_000],
    ]);
    // KServe's request CloudEvent: the model is in a header, the version set in the mapping.
    const requests = eventsOf(
      readWith({ ...preset, version: { value: '1' } }, request, {
        headers: {
          ce_inferenceservicename: 'sklearn-iris',
          ce_type: 'org.kubeflow.serving.inference.request',
        },
      }),
    );
    expect(requests.map((e) => [e.model, e.model_version, e.prediction, e.features.age])).toEqual([
      ['sklearn-iris', '1', undefined, 31],
      ['sklearn-iris', '1', undefined, 45],
    ]);
  });

  it('yields no event for a message kind not listed in oip.messages', () => {
    const mapping = { ...preset, oip: { messages: ['pair'] } };
    expect(readWith(mapping, response)).toEqual({ ok: true, logs: [] });
    expect(eventsOf(readWith(mapping, pair))).toHaveLength(2);
  });

  it.each([
    ['BOOL', [true, false], [true, false]],
    ['UINT8', [0, 255], [0, 255]],
    ['INT8', [-128, 127], [-128, 127]],
    ['INT64', [-(2 ** 40), 2 ** 40], [-(2 ** 40), 2 ** 40]],
    ['UINT64', [0, 2 ** 50], [0, 2 ** 50]],
    ['FP16', [0.5, -1], [0.5, -1]],
    ['FP64', [1e300, -1e-300], [1e300, -1e-300]],
    ['BYTES', ['a', 'b'], ['a', 'b']],
  ])('accepts datatype %s', (datatype, data, values) => {
    const message = { ...response, outputs: [{ name: 'y', shape: [2], datatype, data }] };
    expect(eventsOf(readWith(preset, message)).map((e) => e.prediction)).toEqual(values);
  });

  it('reads a rank-0 tensor as one row, a higher rank flattened per row', () => {
    const scalar = {
      ...response,
      outputs: [{ name: 'y', shape: [], datatype: 'FP32', data: [0.5] }],
    };
    expect(eventsOf(readWith(preset, scalar)).map((e) => e.prediction)).toEqual([0.5]);
    const cube = {
      ...pair,
      request: {
        inputs: [
          {
            name: 'img',
            shape: [1, 2, 2],
            datatype: 'UINT8',
            data: [
              [
                [1, 2],
                [3, 4],
              ],
            ],
          },
        ],
      },
      response: { ...response, outputs: [{ name: 'y', shape: [1], datatype: 'FP32', data: [1] }] },
    };
    expect(eventsOf(readWith(preset, cube))[0]?.features).toEqual({
      img_0: 1,
      img_1: 2,
      img_2: 3,
      img_3: 4,
    });
  });

  it('gives zero events for a batch of zero rows', () => {
    const empty = {
      ...response,
      outputs: [{ name: 'y', shape: [0, 3], datatype: 'FP32', data: [] }],
    };
    expect(readWith(preset, empty)).toEqual({ ok: true, logs: [] });
  });

  const tensor = (over: object) => ({
    ...response,
    outputs: [{ name: 'y', shape: [2], datatype: 'FP32', data: [1, 2], ...over }],
  });

  it.each([
    [
      tensor({ data: [1, 2, 3] }),
      'OIP_SHAPE_MISMATCH',
      '/outputs/0/data has 3 values, shape [2] needs 2',
    ],
    [
      tensor({ shape: [2, 2], data: [[1, 2], [3]] }),
      'OIP_SHAPE_MISMATCH',
      '/outputs/0/data/1 has 1 values',
    ],
    [
      tensor({ shape: [2, 2], data: [[1, 2], 3] }),
      'OIP_SHAPE_MISMATCH',
      '/outputs/0/data/1 has a single value',
    ],
    [tensor({ datatype: 'FP8' }), 'OIP_DATATYPE', '/outputs/0/datatype ("y") is "FP8"'],
    [tensor({ datatype: 'INT8', data: [1, 300] }), 'OIP_DATATYPE', 'value 1 is 300: not INT8'],
    [tensor({ datatype: 'UINT32', data: [1, -1] }), 'OIP_DATATYPE', 'not UINT32'],
    [tensor({ datatype: 'INT32', data: [1, 1.5] }), 'OIP_DATATYPE', 'not INT32'],
    [tensor({ datatype: 'BOOL', data: [1, 0] }), 'OIP_DATATYPE', 'not BOOL'],
    [tensor({ data: [1, null] }), 'OIP_DATATYPE', 'value 1 is null'],
    [
      tensor({ shape: [2, 2], datatype: 'BYTES', data: ['a', 'b', 'c', 'd'] }),
      'OIP_DATATYPE',
      'must be numbers',
    ],
    [tensor({ shape: ['2'] }), 'OIP_INVALID', '/outputs/0/shape'],
    [tensor({ name: '' }), 'OIP_INVALID', '/outputs/0/name'],
    [{ ...response, outputs: {} }, 'OIP_INVALID', '/outputs: expected a list of tensors'],
    [{ hello: 1 }, 'OIP_INVALID', 'neither an inference request'],
    [
      { ...response, model_name: undefined },
      'FIELD_MISSING',
      'model: nothing at /response/model_name',
    ],
    [{ ...response, model_version: undefined }, 'FIELD_MISSING', 'version: nothing at'],
  ])('refuses %j with %s', (message, code, reason) => {
    expectRefusal(readWith(preset, message), code, reason);
  });

  it('refuses a batch whose tensors disagree on the number of rows', () => {
    const inputs = [
      ...request.inputs,
      { name: 'z', shape: [3], datatype: 'FP32', data: [1, 2, 3] },
    ];
    expectRefusal(
      readWith(preset, { ...pair, request: { inputs } }),
      'OIP_BATCH_MISMATCH',
      '"age" has 2 rows but "z" has 3',
    );
    const outputs = [{ name: 'y', shape: [3], datatype: 'FP32', data: [1, 2, 3] }];
    expect(readWith(preset, { ...pair, response: { ...response, outputs } })).toMatchObject({
      code: 'OIP_BATCH_MISMATCH',
    });
  });

  it('refuses featureNames of the wrong length, and two tensors making the same feature', () => {
    const wrong = { ...preset, oip: { featureNames: { x: ['only_one'] } } };
    expectRefusal(
      readWith(wrong, pair),
      'OIP_SHAPE_MISMATCH',
      'input.mapping.oip.featureNames lists 1',
    );
    const inputs = [...request.inputs, { name: 'x_0', shape: [2], datatype: 'FP32', data: [1, 2] }];
    expect(readWith(preset, { ...pair, request: { inputs } })).toMatchObject({
      code: 'FEATURES_MISMATCH',
    });
  });

  it('lets the mapping override where model, version and timestamp come from', () => {
    const mapping = {
      ...preset,
      model: { topic: '^seldon\\.[^.]+\\.model\\.([^.]+)\\.outputs$' },
      version: { header: 'model-version' },
      timestamp: { kafkaTimestamp: true },
    };
    const [event] = eventsOf(
      readWith(mapping, pair, {
        topic: 'seldon.default.model.income.outputs',
        headers: { 'model-version': '5' },
        timestamp: 7,
      }),
    );
    expect(event).toMatchObject({ model: 'income', model_version: '5', timestamp: 7 });
  });
});
